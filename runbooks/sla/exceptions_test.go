package sla

import (
	"context"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

type reminders struct{ got []Exception }

func (r *reminders) PostSLAPosture(context.Context, Posture) error { return nil }
func (r *reminders) ExceptionReminder(_ context.Context, x Exception) error {
	r.got = append(r.got, x)
	return nil
}

// TestExceptionFourEyesExpiryLapseAndCount runs one exception through its
// life on bbolt: the requester cannot approve it, nor can someone outside
// sla.risk_approvers; a member of a risk group can. While it is in force
// the host counts as excepted, not compliant, and is not paged; it is
// listed with who accepted it and until when. Its reminder goes once;
// after its end it lapses by itself (audited as patchgate) and the host is
// overdue and paged again.
func TestExceptionFourEyesExpiryLapseAndCount(t *testing.T) {
	ctx := context.Background()
	clk := testkit.NewClock(start)
	st := openBolt(t, clk)
	f, p, chat := demoFleet(), &pager{}, &reminders{}
	s := newService(st, clk, f, p)
	s.Chat = chat

	until := start.Add(20 * Day)
	x, err := s.RequestException(ctx, ExceptionRequest{Tenant: "acme", Target: "host:legacy-1", Until: until,
		Reason: "vendor appliance; patch breaks the HSM driver", Control: "isolated VLAN, IDS signature 2026-118", Actor: "U0RISK1"})
	if err != nil {
		t.Fatal(err)
	}
	if x.Status != ExceptionPending || x.RequestedBy.Email != "U0RISK1@bank.example" {
		t.Fatalf("requested %+v", x)
	}
	// Pending is not in force.
	res := Evaluate(Input{Tenant: "acme", Now: clk.Now(), Deadlines: DefaultDeadlines(), Exceptions: []Exception{*x},
		Hosts: f.hosts["production"], Findings: f.findings})
	if res.Total.Excepted != 0 {
		t.Fatalf("a pending exception counted: %+v", res.Total)
	}
	for _, who := range []string{"U0RISK1", "U0NOBODY"} {
		if _, _, err := s.ApproveException(ctx, x.ID, who); runbooks.ErrorCode(err) != runbooks.CodeForbidden {
			t.Errorf("approval by %s: %v, want forbidden", who, err)
		}
	}
	x, dup, err := s.ApproveException(ctx, x.ID, "U0GROUPED")
	if err != nil || dup || x.Status != ExceptionApproved || x.AcceptedBy() != "Name of U0GROUPED <U0GROUPED@bank.example> (U0GROUPED)" {
		t.Fatalf("approval by a risk-group member: %+v dup=%v err=%v", x, dup, err)
	}
	if _, dup, _ := s.ApproveException(ctx, x.ID, "U0GROUPED"); !dup {
		t.Error("a second click by the same approver was not a duplicate")
	}

	clk.Advance(Day)
	snap := scanAt(t, s).Tenants[0]
	if snap.Total.Excepted != 1 || snap.Total.Overdue != 1 || snap.Total.Within != 2 {
		t.Errorf("with the exception: %+v, want legacy-1 excepted (not within) and only web-1 overdue", snap.Total)
	}
	if r, _ := snap.Total.Rate(); r != 3.0/4.0 { // web-2 is due, still compliant; legacy-1 is out of the count
		t.Errorf("rate %v, want 3 of 4 measured hosts (%+v)", r, snap.Total)
	}
	if p.triggers["patchgate/sla/acme/i-legacy/KB-OLD"] != 0 {
		t.Error("the excepted host was paged")
	}
	var listed *Item
	for i := range snap.Items {
		if snap.Items[i].HostID == "i-legacy" {
			listed = &snap.Items[i]
		}
	}
	if listed == nil || listed.Status != Excepted || listed.Exception != x.ID {
		t.Errorf("legacy-1 not listed as excepted: %+v", listed)
	}

	clk.Advance(6 * Day) // 13 days left: the reminder goes, once
	scanAt(t, s)
	clk.Advance(Day)
	scanAt(t, s)
	if len(chat.got) != 1 || chat.got[0].ID != x.ID {
		t.Errorf("reminders %+v, want one for %s", chat.got, x.ID)
	}

	keysBefore, _ := p.count()
	clk.Set(until.Add(time.Hour))
	post := scanAt(t, s)
	if len(post.Lapsed) != 1 || post.Lapsed[0].Status != ExceptionLapsed {
		t.Fatalf("lapsed %+v, want the exception", post.Lapsed)
	}
	if got := post.Tenants[0].Total; got.Excepted != 0 || got.Overdue < 2 {
		t.Errorf("after the end: %+v, want legacy-1 overdue again", got)
	}
	if keys, _ := p.count(); keys != keysBefore+1 || p.triggers["patchgate/sla/acme/i-legacy/KB-OLD"] != 1 {
		t.Errorf("pages %d → %d (%v), want legacy-1 paged once it lapsed", keysBefore, keys, p.triggers)
	}
	evs, err := AuditEvents(ctx, st, EventExceptionRequested, EventExceptionApproved, EventExceptionReminded, EventExceptionLapsed)
	if err != nil {
		t.Fatal(err)
	}
	var types []string
	for _, e := range evs {
		types = append(types, e["type"].(string))
	}
	want := []string{EventExceptionRequested, EventExceptionApproved, EventExceptionReminded, EventExceptionLapsed}
	if len(types) != len(want) {
		t.Fatalf("audit %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("audit %v, want %v", types, want)
		}
	}
	if evs[3]["actor"] != runbooks.ActorSystem {
		t.Errorf("lapse audited as %v, want %s", evs[3]["actor"], runbooks.ActorSystem)
	}
}

// TestExceptionRequestNeedsReasonControlAndABoundedEnd: what a request is
// refused for.
func TestExceptionRequestNeedsReasonControlAndABoundedEnd(t *testing.T) {
	clk := testkit.NewClock(start)
	s := newService(openBolt(t, clk), clk, demoFleet(), &pager{})
	ok := ExceptionRequest{Tenant: "acme", Target: "CVE-2026-1001", Until: start.Add(30 * Day), Reason: "r", Control: "c", Actor: "U1"}
	for name, mod := range map[string]func(*ExceptionRequest){
		"no control":     func(r *ExceptionRequest) { r.Control = " " },
		"no reason":      func(r *ExceptionRequest) { r.Reason = "" },
		"past end":       func(r *ExceptionRequest) { r.Until = start.Add(-Day) },
		"too long":       func(r *ExceptionRequest) { r.Until = start.Add(400 * Day) },
		"unknown tenant": func(r *ExceptionRequest) { r.Tenant = "nope" },
		"bare target":    func(r *ExceptionRequest) { r.Target = "legacy-1" },
	} {
		r := ok
		mod(&r)
		if _, err := s.RequestException(context.Background(), r); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	x, err := s.RequestException(context.Background(), ok)
	if err != nil || x.Scope != ScopeCVE || x.Target != "CVE-2026-1001" {
		t.Errorf("a CVE exception: %+v, %v", x, err)
	}
}
