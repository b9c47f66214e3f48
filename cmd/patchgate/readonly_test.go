package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
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
