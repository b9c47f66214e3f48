package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadOnlyCommandsNeedNoSlackToken: with a slack section whose token
// variable is unset, cycle list and cycle show work (they only read the
// store), while cycle start, which may post, still asks for the token.
func TestReadOnlyCommandsNeedNoSlackToken(t *testing.T) {
	dir := t.TempDir()
	path := cliConfig(t, dir, 0)
	y, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	y = append(y, []byte("slack:\n  transport: socket\n  bot_token: env:PATCHGATE_UNSET_BOT_TOKEN\n  app_token: env:PATCHGATE_UNSET_APP_TOKEN\n  channel: C0CYCLES01\n")...)
	path = filepath.Join(dir, "slack.yaml")
	if err := os.WriteFile(path, y, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var out bytes.Buffer
	if code := run(ctx, []string{"cycle", "list", "--config", path}, &out, &out); code != 0 {
		t.Fatalf("cycle list: exit %d: %s", code, out.String())
	}
	out.Reset()
	code := run(ctx, []string{"cycle", "show", "acme-cu-20261122-0200-abc", "--config", path}, &out, &out)
	if code == 0 || strings.Contains(out.String(), "bot_token") || !strings.Contains(out.String(), "no cycle") {
		t.Fatalf("cycle show of an unknown cycle: exit %d %q, want 'no cycle' and nothing about the Slack token", code, out.String())
	}
	out.Reset()
	code = run(ctx, []string{"cycle", "start", "acme-cu", "--as", "U0ALICE001", "--config", path}, &out, &out)
	if code == 0 || !strings.Contains(out.String(), "slack.bot_token") {
		t.Errorf("cycle start: exit %d %q, want the missing Slack token named", code, out.String())
	}
}

// TestReadOnlyCommandsResolveOnlyTheirSecrets: with Azure, PagerDuty,
// Dynatrace and Falcon configured but none of their secrets set (unset
// variables, an absent secret file), the commands that only read the store
// or the file work; cycle start, which builds those clients, names the
// missing secret.
func TestReadOnlyCommandsResolveOnlyTheirSecrets(t *testing.T) {
	dir := t.TempDir()
	plain := cliConfig(t, dir, 0)
	ctx := context.Background()
	var out bytes.Buffer
	if code := run(ctx, []string{"cycle", "start", "acme-cu", "--as", "U0REQ00001", "--config", plain}, &out, &out); code != 0 {
		t.Fatalf("cycle start on the plain file: %d %s", code, out.String())
	}
	id := strings.Fields(out.String()[strings.Index(out.String(), "acme-cu-"):])[0]
	y, err := os.ReadFile(plain)
	if err != nil {
		t.Fatal(err)
	}
	// The plain file's one-line providers section gains the four services.
	line := regexp.MustCompile(`(?m)^providers: \{kind: sim, (.*)\}$`)
	if !line.Match(y) {
		t.Fatalf("cliConfig's providers line changed:\n%s", y)
	}
	y = line.ReplaceAll(y, []byte(`providers:
  kind: sim
  simulate: [access]
  ${1}
  azure: {tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47, client_id: 0b1c2d3e-aaaa-bbbb-cccc-111122223333, client_secret: env:PATCHGATE_UNSET_AZURE}
  pagerduty: {routing_key: env:PATCHGATE_UNSET_PD}
  dynatrace: {url: "https://abc123.live.dynatrace.com", token: env:PATCHGATE_UNSET_DT, selectors: {production: 'type("HOST")'}}
  falcon: {client_id: env:PATCHGATE_UNSET_FALCON_ID, client_secret: "file:`+filepath.Join(dir, "absent", "falcon-secret")+`"}`))
	// Real services need a step their SDKs' retries fit in.
	y = bytes.Replace(y, []byte("lease_ttl: 5s, step_timeout: 1s"), []byte("lease_ttl: 30s, step_timeout: 15s"), 1)
	path := filepath.Join(dir, "secrets.yaml")
	if err := os.WriteFile(path, y, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"config", "validate", path},
		{"cycle", "list", "--config", path},
		{"cycle", "show", id, "--config", path},
		{"report", "--cycle", id, "--out", filepath.Join(dir, "reports"), "--config", path},
		{"audit", "verify", "--config", path},
		{"audit", "export", "--cycle", id, "--out", filepath.Join(dir, "export.jsonl"), "--config", path},
	} {
		out.Reset()
		if code := run(ctx, args, &out, &out); code != 0 {
			t.Errorf("%s: exit %d: %s", strings.Join(args[:2], " "), code, out.String())
		}
		if strings.Contains(out.String(), "PATCHGATE_UNSET") || strings.Contains(out.String(), "falcon-secret") {
			t.Errorf("%s asked for a secret it does not need: %s", strings.Join(args[:2], " "), out.String())
		}
	}
	out.Reset()
	code := run(ctx, []string{"cycle", "start", "acme-cu", "--as", "U0REQ00001", "--config", path}, &out, &out)
	if code == 0 || !strings.Contains(out.String(), "PATCHGATE_UNSET") {
		t.Errorf("cycle start: exit %d %q, want the missing secret named", code, out.String())
	}
}
