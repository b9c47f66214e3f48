package terraform

import (
	"os"
	"path/filepath"
	"testing"
)

// fakeTerraform is a shell script that answers the commands tfexec runs, so
// the Checker's control flow (bounds, timeouts, exit codes) is tested without
// terraform's own speed or behaviour in the way. It runs in the workspace
// directory (tfexec sets cmd.Dir), where files steer it:
//   - exitcode: plan exits with this code (2 = drift, 1 = error)
//   - hang:     plan sleeps far longer than any test timeout
//   - plan.json: what show -json prints
//
// Every plan records how many plans run as it starts. The first FAKE_BOUND
// plans (by ticket) do not finish until all of them have arrived, so the last
// of them to arrive sees exactly FAKE_BOUND running: the peak equals the bound
// unless the Checker lets more through, without depending on timing.
const fakeTerraform = `#!/bin/sh
D="$FAKE_DIR"
running() { ls "$D" | grep -c '^running\.'; }
case "$1" in
version)
  echo '{"terraform_version":"1.11.4","platform":"linux_amd64","provider_selections":{},"terraform_outdated":false}'
  exit 0 ;;
init)
  touch init-ran
  exit 0 ;;
plan)
  if [ -f hang ]; then exec sleep 60; fi
  k=1; while ! mkdir "$D/ticket.$k" 2>/dev/null; do k=$((k+1)); done
  touch "$D/running.$$"
  running >> "$D/counts"
  if [ "$k" -le "$FAKE_BOUND" ]; then
    touch "$D/arrived.$k"
    i=0; while [ "$(ls "$D" | grep -c '^arrived\.')" -lt "$FAKE_BOUND" ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done
  fi
  rm "$D/running.$$"
  if [ -f exitcode ]; then
    echo "Error: Unsupported argument; password=hunter2-inline is not expected here" >&2
    exit "$(cat exitcode)"
  fi
  exit 0 ;;
show)
  if [ -f plan.json ]; then cat plan.json; else echo '{"format_version":"1.2","terraform_version":"1.11.4"}'; fi
  exit 0 ;;
esac
echo "fake terraform: unexpected $*" >&2
exit 1
`

// writeFake installs the fake terraform and returns its path and the
// directory it records counters in.
func writeFake(t *testing.T) (bin, dir string) {
	t.Helper()
	dir = t.TempDir()
	bin = filepath.Join(t.TempDir(), "terraform")
	if err := os.WriteFile(bin, []byte(fakeTerraform), 0o755); err != nil {
		t.Fatal(err)
	}
	return bin, dir
}

// fakeWorkspace makes a workspace directory holding the given steering files.
func fakeWorkspace(t *testing.T, name string, files map[string]string) Workspace {
	t.Helper()
	dir := t.TempDir()
	for f, content := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return Workspace{Name: name, Tenant: "cu-1", Account: "111111111111", Dir: dir}
}
