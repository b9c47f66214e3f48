package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/bot/sandbox"
)

// TestBrowserApprove opens the demo's sandbox page in headless Chromium
// (Playwright via playwright-core, Debian's chromium), starts a cycle with
// /patch as the requester, clicks Approve as the SRE and checks the cycle's
// message changed in place and the engine recorded the SRE's approval.
func TestBrowserApprove(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test runs only without -short")
	}
	script, _ := filepath.Abs("../../test/browser/approve.mjs")
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node"
	} else if _, err := exec.LookPath("chromium"); err != nil {
		missing = "chromium"
	} else if _, err := os.Stat(filepath.Join(filepath.Dir(script), "node_modules", "playwright-core")); err != nil {
		missing = "playwright-core (npm ci --prefix test/browser)"
	}
	if missing != "" {
		if os.Getenv("PATCHGATE_REQUIRE_SERVICES") != "" {
			t.Fatalf("%s is not installed", missing)
		}
		t.Skipf("%s is not installed", missing)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type running struct {
		url string
		a   *app
	}
	up := make(chan running, 1)
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		done <- runDemo(ctx, demoOptions{
			statePath: filepath.Join(t.TempDir(), "state.db"), listen: "127.0.0.1:0",
			soak: time.Minute, opTime: 500 * time.Millisecond, out: &out,
			ready: func(url string, _ *sandbox.Server, a *app) { up <- running{url, a} },
		})
	}()
	var r running
	select {
	case r = <-up:
	case err := <-done:
		t.Fatalf("demo ended before it was up: %v\n%s", err, out.String())
	}

	shot := filepath.Join(t.TempDir(), "approved.png")
	if dir := os.Getenv("PATCHGATE_SCREENSHOTS"); dir != "" {
		shot = filepath.Join(dir, "approved.png")
	}
	cmdCtx, cmdCancel := context.WithTimeout(ctx, 90*time.Second)
	defer cmdCancel()
	cmd := exec.CommandContext(cmdCtx, "node", script, r.url, shot)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("browser script: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	var seen struct{ TS, Before, After string }
	if err := json.Unmarshal(stdout.Bytes(), &seen); err != nil {
		t.Fatalf("browser script printed %q: %v", stdout.String(), err)
	}
	if !strings.Contains(seen.Before, "awaiting approval") || seen.After == seen.Before {
		t.Errorf("message before %q, after %q: want it awaiting approval, then changed", seen.Before, seen.After)
	}
	if st, err := os.Stat(shot); err != nil || st.Size() == 0 {
		t.Errorf("no screenshot: %v", err)
	}

	active, err := r.a.engine.Active(ctx)
	if err != nil || len(active) != 1 {
		t.Fatalf("active cycles %d (%v), want the one started in the page", len(active), err)
	}
	np, _ := active[0].Stage("nonprod")
	if len(np.Approvals) != 1 || np.Approvals[0].By != demoSRE || active[0].Requester != demoRequester {
		t.Errorf("nonprod approvals %+v, requester %s: want one by %s, requested by %s", np.Approvals, active[0].Requester, demoSRE, demoRequester)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("demo: %v", err)
	}
}
