package gcp

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSensorDeployGCPSUSEExecScriptsUnderSh runs the SUSE exec resource's
// validate and enforce scripts under /bin/sh, with the on-VM paths moved
// into a temporary directory: validate says "not in desired state" (101)
// before, enforce passes an install script's failure on as its exit code
// and writes no marker, a succeeding script leaves the marker and exits
// 100, and validate then says "in desired state" (100), so the agent's
// next cycle does not run the installer again; another batch's marker
// does not count.
func TestSensorDeployGCPSUSEExecScriptsUnderSh(t *testing.T) {
	dir := t.TempDir()
	marker, script := filepath.Join(dir, "lib", "sensor-installed"), filepath.Join(dir, "install.sh")
	local := func(s string) string {
		s = strings.ReplaceAll(s, linuxMarkerPath, marker)
		return strings.ReplaceAll(s, linuxMarkerPath[:strings.LastIndexByte(linuxMarkerPath, '/')], filepath.Dir(marker))
	}
	run := func(body string) int {
		t.Helper()
		err := exec.Command("/bin/sh", "-c", local(body)).Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	res := linuxExec(script, "sd-batch1")
	if code := run(res.Validate.Script); code != 101 {
		t.Fatalf("validate before install = %d, want 101", code)
	}
	os.WriteFile(script, []byte("echo installing >&2\nexit 3\n"), 0o700)
	if code := run(res.Enforce.Script); code != 3 {
		t.Errorf("enforce with a failing script = %d, want its 3", code)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a failed install left the marker")
	}
	os.WriteFile(script, []byte("echo installed\n"), 0o700)
	if code := run(res.Enforce.Script); code != 100 {
		t.Errorf("enforce with a succeeding script = %d, want 100", code)
	}
	if code := run(res.Validate.Script); code != 100 {
		t.Errorf("validate after install = %d, want 100", code)
	}
	if code := run(linuxExec(script, "sd-batch2").Validate.Script); code != 101 {
		t.Errorf("validate of another batch = %d, want 101", code)
	}
}
