package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// TestAuditExport exports a cycle's audit log as JSON lines and re-checks
// the chain from the export alone.
func TestAuditExport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	cfgPath := cliConfig(t, dir, 0)
	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"cycle", "start", "acme-cu", "--as", "U0REQ00001", "--config", cfgPath}, &out, &out); code != 0 {
		t.Fatalf("cycle start: %d %s", code, out.String())
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	a, err := build(ctx, cfg, wiring{reports: dir})
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		if err := a.engine.Tick(ctx); err != nil {
			t.Fatal(err)
		}
	}
	active, _ := a.engine.Active(ctx)
	if len(active) != 1 {
		t.Fatalf("%d active cycles, want 1", len(active))
	}
	c := active[0]
	// A refused decision, so the refusal stream has an entry too.
	if _, err := a.engine.Decide(ctx, runbooks.Decision{Cycle: c.ID, Stage: "nonprod", Action: runbooks.Approve, Actor: "U0EVE00001"}); runbooks.ErrorCode(err) != runbooks.CodeForbidden {
		t.Fatalf("outsider approval: %v", err)
	}
	a.store.Close()

	out.Reset()
	if code := run(ctx, []string{"audit", "export", "--cycle", c.ID, "--config", cfgPath}, &out, &errOut); code != 0 {
		t.Fatalf("export: exit %d: %s", code, errOut.String())
	}
	lines := readExport(t, out.Bytes())
	byStream := map[string][]exportLine{}
	for _, l := range lines {
		byStream[l.Stream] = append(byStream[l.Stream], l)
	}
	events := byStream[runbooks.AuditStream(c.ID)]
	if int64(len(events)) != c.Revision || len(byStream[runbooks.RefusalStream(c.ID)]) != 1 || len(byStream) != 2 {
		t.Fatalf("exported %d events (revision %d), %d refusals, streams %d", len(events), c.Revision,
			len(byStream[runbooks.RefusalStream(c.ID)]), len(byStream))
	}
	for s, ls := range byStream {
		prev := ""
		for i, l := range ls {
			if l.Seq != int64(i+1) || l.Prev != prev {
				t.Fatalf("%s line %d: seq %d prev %q, want seq %d prev %q", s, i, l.Seq, l.Prev, i+1, prev)
			}
			if got := state.EntryHash(s, l.Seq, l.Time, l.Prev, l.Event); got != l.Hash {
				t.Fatalf("%s entry %d: the exported event does not hash to its hash", s, l.Seq)
			}
			prev = l.Hash
		}
	}
	var first runbooks.Event
	if err := json.Unmarshal(events[0].Event, &first); err != nil || first.Type != runbooks.EvCycleStarted || first.Cycle != c.ID {
		t.Fatalf("first event %+v (%v)", first, err)
	}

	out.Reset()
	if code := run(ctx, []string{"audit", "export", "--all", "--config", cfgPath}, &out, &errOut); code != 0 || len(readExport(t, out.Bytes())) != len(lines) {
		t.Fatalf("export --all: exit %d, %d lines, want %d", code, len(readExport(t, out.Bytes())), len(lines))
	}
	for _, args := range [][]string{{"audit", "export"}, {"audit", "export", "--all", "--cycle", c.ID}, {"audit", "export", "--cycle", "nope"}} {
		if code := run(ctx, append(args, "--config", cfgPath), &out, &errOut); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}

	// An edited entry is still exported, and the export exits 1 naming it.
	editEntry(t, cfg.Store.Bolt.Path, runbooks.AuditStream(c.ID), 2)
	errOut.Reset()
	if code := run(ctx, []string{"audit", "export", "--cycle", c.ID, "--config", cfgPath}, &out, &errOut); code != 1 ||
		!strings.Contains(errOut.String(), "BROKEN "+runbooks.AuditStream(c.ID)+" at entry 2") {
		t.Fatalf("edited log: exit %d: %s", code, errOut.String())
	}
}

func readExport(t *testing.T, b []byte) []exportLine {
	t.Helper()
	var out []exportLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l exportLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		out = append(out, l)
	}
	return out
}
