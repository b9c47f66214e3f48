package azure

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/patchgate/patchgate/providers/azure/azuretest"
	"github.com/patchgate/patchgate/runbooks"
)

const arcScript = "#!/bin/sh\n/opt/CrowdStrike/falconctl -s -f --cid=\"$FALCON_CID\" --provisioning-token=\"$FALCON_INSTALL_TOKEN\"\n"

// arcRig is the fleet plus a Windows Arc server, a provider that counts
// CID reads and logs into a buffer, and the inventory by name.
type arcRig struct {
	f     *fleet
	win   string
	logs  *bytes.Buffer
	reads *int
	hs    map[string]runbooks.Host
}

func newArcRig(t *testing.T) *arcRig {
	f := newFleet(t)
	r := &arcRig{f: f, logs: &bytes.Buffer{}, reads: new(int)}
	r.win = f.srv.AddArc(azuretest.Arc{Subscription: subA, ResourceGroup: rgA, Name: "arc-win-1", Tags: map[string]string{"env": "prod"},
		OSName: "windows", OSType: "windows", OSSKU: "Windows Server 2019 Datacenter", OSVersion: "10.0.17763.6532", AgentVersion: "1.44.02840.1813"})
	r.hs = f.hosts(t, r.provider(t))
	return r
}

// provider is a fresh provider, as after a restart.
func (r *arcRig) provider(t *testing.T) *Provider {
	return r.f.provider(t, func(c *Config) {
		c.Log = slog.New(slog.NewTextHandler(r.logs, nil))
		c.Sensor = SensorInstall{Script: arcScript,
			CID:   func(context.Context) (string, error) { *r.reads++; return testCID, nil },
			Token: func(context.Context) (string, error) { return testToken, nil }}
	})
}

func (r *arcRig) request(tag string, names ...string) runbooks.SensorInstallRequest {
	req := runbooks.SensorInstallRequest{Tag: tag, Deploy: strings.Split(tag, "/")[0], Tenant: "acme-cu", Env: "production"}
	for _, n := range names {
		req.Hosts = append(req.Hosts, r.hs[n])
	}
	return req
}

// poll polls until the batch is done (the fake ends an extension on its
// second read, so a few polls bound a bug, not time).
func poll(t *testing.T, p *Provider, req runbooks.SensorInstallRequest, handle string) map[string]runbooks.SensorHostResult {
	t.Helper()
	for range 5 {
		st, err := p.PollInstall(context.Background(), req, handle)
		if err != nil {
			t.Fatal(err)
		}
		if st.Done {
			out := map[string]runbooks.SensorHostResult{}
			for _, h := range st.Hosts {
				out[h.HostID] = h
			}
			if len(out) != len(req.Hosts) {
				t.Fatalf("done with %d results for %d hosts: %+v", len(out), len(req.Hosts), st)
			}
			return out
		}
	}
	t.Fatal("batch not done after 5 polls")
	return nil
}

func decodePowerShell(t *testing.T, b64 string) string {
	t.Helper()
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw)%2 != 0 {
		t.Fatalf("-EncodedCommand is not base64 UTF-16LE: %v", err)
	}
	u := make([]uint16, len(raw)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(raw[2*i:])
	}
	return string(utf16.Decode(u))
}

// TestSensorDeployAzureArcExtensionOncePerMachine: on Arc machines the
// installer is one Custom Script extension per machine named after the
// batch's tag (PUT .../machines/{m}/extensions/{name}, the Linux handler
// Microsoft.Azure.Extensions/CustomScript or the Windows one
// Microsoft.Compute/CustomScriptExtension by the machine's osType), the
// script, CID and token only in protectedSettings; a fresh provider (a
// restart) finds every extension by name and sends nothing again; polling
// reads each extension's provisioning state until all ended and reports
// the failed Windows script with its exit status and stderr and the
// disconnected machine with the agent's state; the CID reaches no log.
func TestSensorDeployAzureArcExtensionOncePerMachine(t *testing.T) {
	r := newArcRig(t)
	ctx := context.Background()
	r.f.srv.FailExtension(r.win, 3, "msiexec: installation failed with 1603")
	req := r.request("SD-acme-20261206-2000-abc/b0/a0", "arc-db-1", "arc-win-1", "arc-db-2")
	name := runCommandName(req.Tag)

	p := r.provider(t)
	if _, found, err := p.FindInstall(ctx, req); err != nil || found {
		t.Fatalf("FindInstall before sending = %v, %v", found, err)
	}
	if *r.reads != 0 {
		t.Fatal("the CID secret was read before anything was sent")
	}
	st, err := p.StartInstall(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if st.Source != runbooks.SourceAzureArc || st.Handle != "azure-arc-extension:"+name {
		t.Fatalf("start = %+v", st)
	}
	if n := r.f.srv.CountSuffix("PUT", "/extensions/"+strings.ToLower(name)); n != 3 {
		t.Fatalf("%d extension PUTs for 3 Arc machines: %v", n, r.f.srv.Requests())
	}

	linux := r.f.srv.Extensions(r.f.arc1)[name]
	if linux.Publisher != "Microsoft.Azure.Extensions" || linux.Type != "CustomScript" || linux.Location != "eastus2" || linux.Tags["patchgate-tag"] != req.Tag {
		t.Errorf("Linux extension %+v", linux)
	}
	script, err := base64.StdEncoding.DecodeString(linux.Protected["script"].(string))
	if err != nil || !strings.HasPrefix(string(script), "export FALCON_CID='"+testCID+"' FALCON_INSTALL_TOKEN='"+testToken+"'\n") ||
		!strings.HasSuffix(string(script), arcScript) {
		t.Errorf("protected script %q (%v): want the secrets exported before the configured script", script, err)
	}
	win := r.f.srv.Extensions(r.win)[name]
	cmd, _ := win.Protected["commandToExecute"].(string)
	if win.Publisher != "Microsoft.Compute" || win.Type != "CustomScriptExtension" || !strings.Contains(cmd, "-EncodedCommand ") {
		t.Errorf("Windows extension %+v", win)
	} else if ps := decodePowerShell(t, cmd[strings.LastIndex(cmd, " ")+1:]); !strings.Contains(ps, "-FALCON_CID '"+testCID+"' -FALCON_INSTALL_TOKEN '"+testToken+"'") ||
		!strings.Contains(ps, "falconctl") {
		t.Errorf("Windows command %q: want the script called with the CID and token as named parameters", ps)
	}
	for _, e := range []azuretest.Extension{linux, win} {
		public, _ := json.Marshal(map[string]any{"settings": e.Settings, "tags": e.Tags, "name": e.Name})
		if strings.Contains(string(public), testCID) || strings.Contains(string(public), testToken) {
			t.Errorf("a secret outside protectedSettings: %s", public)
		}
	}

	restarted := r.provider(t)
	again, found, err := restarted.FindInstall(ctx, req)
	if err != nil || !found || again.Handle != st.Handle {
		t.Fatalf("FindInstall after a restart = %+v, %v, %v", again, found, err)
	}
	if _, err := restarted.StartInstall(ctx, req); err != nil || r.f.srv.CountSuffix("PUT", "/extensions/"+strings.ToLower(name)) != 3 {
		t.Fatalf("a second StartInstall re-sent: %v, %v", err, r.f.srv.Requests())
	}

	res := poll(t, restarted, req, st.Handle)
	if !res[r.f.arc1].OK {
		t.Errorf("arc-db-1 failed: %s", res[r.f.arc1].Detail)
	}
	if w := res[r.win]; w.OK || !strings.Contains(w.Detail, "exit status=3") || !strings.Contains(w.Detail, "1603") {
		t.Errorf("arc-win-1 = %+v, want failed with the exit status and the script's stderr", w)
	}
	if d := res[r.f.arc2]; d.OK || !strings.Contains(d.Detail, "Disconnected") {
		t.Errorf("arc-db-2 = %+v, want failed naming the disconnected agent", d)
	}
	if strings.Contains(r.logs.String(), testCID) || strings.Contains(r.logs.String(), testToken) {
		t.Errorf("a secret reached the log:\n%s", r.logs.String())
	}
	if !strings.Contains(r.logs.String(), "sensor install extension created") {
		t.Fatal("nothing logged: the log check would pass vacuously")
	}
}

// TestSensorDeployAzureArcRetryReplacesEarlierExtension: Arc runs one
// extension per handler on a machine, so a retry's new attempt deletes
// patchgate's ended extension of the earlier attempt (DELETE, polled to
// its end) before its PUT, and waits (a retryable error) while one of
// patchgate's still runs; someone else's Custom Script extension blocks
// the machine, named, and nothing is sent to it. A batch of a VM and an
// Arc machine sends a run command to one and an extension to the other.
func TestSensorDeployAzureArcRetryReplacesEarlierExtension(t *testing.T) {
	r := newArcRig(t)
	ctx := context.Background()
	p := r.provider(t)
	r.f.srv.FailExtension(r.win, 1, "download failed")
	first := r.request("SD-acme-20261206-2000-abc/b0/a0", "arc-win-1")
	st, err := p.StartInstall(ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	if res := poll(t, p, first, st.Handle); res[r.win].OK {
		t.Fatal("the first attempt was meant to fail")
	}
	retry := r.request("SD-acme-20261206-2000-abc/b0/a1", "arc-win-1")
	if _, err := p.StartInstall(ctx, retry); err != nil {
		t.Fatal(err)
	}
	exts := r.f.srv.Extensions(r.win)
	if _, ok := exts[runCommandName(retry.Tag)]; !ok || len(exts) != 1 {
		t.Errorf("extensions after the retry %v, want only the retry's", exts)
	}
	if n := r.f.srv.CountSuffix("DELETE", "/extensions/"+strings.ToLower(runCommandName(first.Tag))); n != 1 {
		t.Errorf("%d DELETEs of the earlier attempt's extension, want 1", n)
	}

	r.f.srv.AddExtension(r.f.arc1, azuretest.Extension{Name: "CustomScript", Location: "eastus2", Publisher: "Microsoft.Azure.Extensions", Type: "CustomScript"})
	theirs := r.request("SD-acme-20261206-2000-abc/b1/a0", "arc-db-1")
	_, err = p.StartInstall(ctx, theirs)
	if runbooks.ErrorCode(err) != runbooks.CodeBlocked || !strings.Contains(err.Error(), `"CustomScript"`) || !strings.Contains(err.Error(), "arc-db-1") {
		t.Errorf("a foreign Custom Script extension: %v, want blocked naming it and the machine", err)
	}
	if n := r.f.srv.CountSuffix("PUT", "/extensions/"+strings.ToLower(runCommandName(theirs.Tag))); n != 0 {
		t.Errorf("%d PUTs despite the foreign extension", n)
	}

	// The retry's extension on arc-win-1 still runs: a new batch there
	// fails this attempt (counted, tried again), not the deployment.
	if _, err := p.StartInstall(ctx, r.request("SD-acme-20261206-2000-abc/b3/a0", "arc-win-1")); err == nil || runbooks.ErrorCode(err) == runbooks.CodeBlocked ||
		!strings.Contains(err.Error(), "still runs") {
		t.Errorf("a batch while another's extension runs: %v, want a retryable error", err)
	}

	mixed := r.request("SD-acme-20261206-2000-abc/b2/a0", "vm-web-1", "arc-db-2")
	ms, err := p.StartInstall(ctx, mixed)
	if err != nil {
		t.Fatal(err)
	}
	if ms.Source != runbooks.SourceAzureVM+"+"+runbooks.SourceAzureArc || len(r.f.srv.RunCommands(r.f.web1)) != 1 {
		t.Errorf("mixed batch: %+v, run commands on vm-web-1 %v", ms, r.f.srv.RunCommands(r.f.web1))
	}
	if _, found, err := p.FindInstall(ctx, mixed); !found || err != nil {
		t.Errorf("mixed batch not found again: %v", err)
	}
}
