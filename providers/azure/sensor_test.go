package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

const (
	testCID   = "0123456789ABCDEF0123456789ABCDEF-12"
	testToken = "f00dfeedf00dfeed"
)

// TestSensorDeployAzureRunCommandProtectedCID: the Azure installer creates
// one managed run command per VM named after the batch's tag (PUT
// .../virtualMachines/{vm}/runCommands/{name}: location, source.script,
// asyncExecution, timeoutInSeconds), with the CID and installer token read
// from their secrets only then and sent only as protectedParameters; it
// finds the commands again by name instead of re-running them, reads each
// VM's instance view until the script ended, reports the failed VM with its
// exit code, and the CID reaches no log (Arc machines: sensor_arc_test.go).
func TestSensorDeployAzureRunCommandProtectedCID(t *testing.T) {
	f := newFleet(t)
	ctx := context.Background()
	var logs bytes.Buffer
	reads := 0
	p := f.provider(t, func(c *Config) {
		c.Log = slog.New(slog.NewTextHandler(&logs, nil))
		c.Sensor = SensorInstall{Script: "#!/bin/sh\n/opt/CrowdStrike/falconctl -s -f --cid=\"$FALCON_CID\" --provisioning-token=\"$FALCON_INSTALL_TOKEN\"\n",
			CID:   func(context.Context) (string, error) { reads++; return testCID, nil },
			Token: func(context.Context) (string, error) { return testToken, nil }}
	})
	hs := f.hosts(t, p)
	req := runbooks.SensorInstallRequest{Tag: "SD-acme-20261206-2000-abc/b0/a0", Deploy: "SD-acme-20261206-2000-abc", Tenant: "acme-cu", Env: "production",
		Hosts: []runbooks.Host{hs["vm-web-1"], hs["vm-web-2"]}}
	f.srv.FailRunCommand(f.web2, 3, "falcon-sensor: dependency libnl3 missing")

	if _, found, err := p.FindInstall(ctx, req); err != nil || found {
		t.Fatalf("FindInstall before sending = %v, %v", found, err)
	}
	if reads != 0 {
		t.Fatal("the CID secret was read before a command was sent")
	}
	st, err := p.StartInstall(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if st.Source != runbooks.SourceAzureVM || st.Handle == "" {
		t.Fatalf("start = %+v", st)
	}
	if n := f.srv.CountSuffix("PUT", "/runcommands/"+strings.ToLower(runCommandName(req.Tag))); n != 2 {
		t.Fatalf("%d run command PUTs for 2 VMs: %v", n, f.srv.Requests())
	}
	again, found, err := p.FindInstall(ctx, req)
	if err != nil || !found || again.Handle != st.Handle {
		t.Fatalf("FindInstall after sending = %+v, %v, %v", again, found, err)
	}
	if _, err := p.StartInstall(ctx, req); err != nil || f.srv.CountSuffix("PUT", "/runcommands/"+strings.ToLower(runCommandName(req.Tag))) != 2 {
		t.Fatalf("a second StartInstall re-sent: %v", err)
	}
	for _, id := range []string{f.web1, f.web2} {
		rcs := f.srv.RunCommands(id)
		if len(rcs) != 1 {
			t.Fatalf("%s has %d run commands, want 1", id, len(rcs))
		}
		for _, rc := range rcs {
			props, _ := rc.Body["properties"].(map[string]any)
			src, _ := props["source"].(map[string]any)
			if rc.Location != "eastus2" || !strings.Contains(src["script"].(string), "falconctl") || props["asyncExecution"] != true ||
				props["timeoutInSeconds"] != float64(1800) || rc.Tags["patchgate-tag"] != req.Tag {
				t.Errorf("run command body %v tags %v", rc.Body, rc.Tags)
			}
			if rc.Protected[ParamCID] != testCID || rc.Protected[ParamToken] != testToken {
				t.Errorf("protected parameters %v: want the CID and the token", rc.Protected)
			}
			rest, _ := json.Marshal(map[string]any{"source": props["source"], "parameters": props["parameters"], "tags": rc.Tags})
			if strings.Contains(string(rest), testCID) || strings.Contains(string(rest), testToken) {
				t.Errorf("a secret outside protectedParameters: %s", rest)
			}
		}
	}
	var done runbooks.SensorInstallStatus
	for range 4 {
		if done, err = p.PollInstall(ctx, req, st.Handle); err != nil {
			t.Fatal(err)
		}
		if done.Done {
			break
		}
	}
	if !done.Done || len(done.Hosts) != 2 {
		t.Fatalf("poll = %+v, want both VMs finished", done)
	}
	for _, r := range done.Hosts {
		switch r.HostID {
		case f.web1:
			if !r.OK {
				t.Errorf("vm-web-1 failed: %s", r.Detail)
			}
		case f.web2:
			if r.OK || !strings.Contains(r.Detail, "exit 3") || !strings.Contains(r.Detail, "libnl3") {
				t.Errorf("vm-web-2 = %+v, want failed with exit 3 and the script's error", r)
			}
		}
	}
	if strings.Contains(logs.String(), testCID) || strings.Contains(logs.String(), testToken) {
		t.Errorf("a secret reached the log:\n%s", logs.String())
	}
}
