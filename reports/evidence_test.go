package reports

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

func TestDirReport(t *testing.T) {
	at := time.Date(2026, 11, 22, 3, 0, 0, 0, time.UTC)
	d := &Dir{Path: t.TempDir(), Now: func() time.Time { return at }}
	c := &runbooks.Cycle{ID: "acme-1", Tenant: "acme", Status: runbooks.StatusRunning,
		Outbox: []runbooks.Event{{Seq: 3}}}
	events := []runbooks.Event{{Seq: 1, Type: runbooks.EvCycleStarted, Actor: "U1"}, {Seq: 2, Type: runbooks.EvApproved, Actor: "U2"}}

	in := runbooks.ReportInput{Cycle: c, Events: events, Hosts: []runbooks.Host{{ID: "i-1", Name: "web-01"}}, AuditEntries: 2, AuditHead: "abc"}
	rep, err := d.Report(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	pdf, err := os.ReadFile(rep.Location)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(pdf)
	if rep.SHA256 != hex.EncodeToString(sum[:]) || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("reported SHA-256 %s does not match the PDF at %s", rep.SHA256, rep.Location)
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(rep.Location), "evidence.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ev Evidence
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Schema != EvidenceSchema || len(ev.Events) != 2 || ev.Events[1].Actor != "U2" || ev.Cycle.ID != "acme-1" ||
		len(ev.Hosts) != 1 || ev.AuditHead != "abc" || ev.AuditEntries != 2 {
		t.Errorf("evidence = %+v", ev)
	}
	if len(ev.Cycle.Outbox) != 0 {
		t.Errorf("the outbox (delivery bookkeeping) leaked into the evidence")
	}
	if len(c.Outbox) != 1 {
		t.Errorf("Report changed the engine's cycle")
	}
	again, err := d.Report(context.Background(), in)
	if err != nil || again.SHA256 != rep.SHA256 || again.Location != rep.Location {
		t.Errorf("a repeated report differs: %+v vs %+v (%v)", again, rep, err)
	}
}
