package bot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/slack-go/slack"
)

// command runs one /patch line through HTTP and returns the reply text.
func (r *rig) command(t *testing.T, user, text string) string {
	t.Helper()
	trigger := fmt.Sprintf("trig-%d", time.Now().UnixNano())
	body := commandForm(text, user, trigger, r.sink.url(trigger))
	if got := postSigned(t, r.srv.URL, PathCommands, slackSign(testSecret, time.Now(), body), body); got != http.StatusOK {
		t.Fatalf("/patch %s: status %d", text, got)
	}
	rep := r.sink.next(t)
	if rep.Body["response_type"] != "ephemeral" {
		t.Fatalf("/patch %s: reply is not ephemeral: %v", text, rep.Body)
	}
	s, _ := rep.Body["text"].(string)
	return s
}

// click presses a button through HTTP and returns the reply text.
func (r *rig) click(t *testing.T, user, value string) string {
	t.Helper()
	ts := fmt.Sprintf("%d.000001", time.Now().UnixNano())
	body := clickForm(clickPayload(value, user, ts, r.sink.url("click"+ts)))
	if got := postSigned(t, r.srv.URL, PathInteractions, slackSign(testSecret, time.Now(), body), body); got != http.StatusOK {
		t.Fatalf("click: status %d", got)
	}
	rep := r.sink.next(t)
	if rep.Body["response_type"] != "ephemeral" || rep.Body["replace_original"] != false {
		t.Fatalf("click reply is not ephemeral: %v", rep.Body)
	}
	s, _ := rep.Body["text"].(string)
	return s
}

func TestCommandReplies(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	r.eng.active = []*runbooks.Cycle{
		{ID: "acme-cu-1", Tenant: "acme-cu", Status: runbooks.StatusRunning, Stages: []runbooks.Stage{
			{Name: "preflight", Phase: runbooks.PhaseDone},
			{Name: "nonprod", Phase: runbooks.PhaseApproval, MinApprovals: 1}}},
		{ID: "bayview-cu-1", Tenant: "bayview-cu", Status: runbooks.StatusHalted,
			Halt:   &runbooks.Halt{By: "U-BOB", Reason: "change freeze"},
			Stages: []runbooks.Stage{{Name: "nonprod", Phase: runbooks.PhaseFailed, Failure: &runbooks.Failure{Reason: "sensor gate: 1 host"}}}},
	}
	r.eng.cycles["acme-cu-1"] = r.eng.active[0]
	r.eng.cycles["acme-cu-0"] = &runbooks.Cycle{ID: "acme-cu-0", Status: runbooks.StatusCompleted,
		Report: &runbooks.Report{Location: "s3://reports/acme-cu-0.pdf", SHA256: "abc123"}}

	tests := []struct {
		text string
		want []string
	}{
		{"", []string{"*/patch* runs OS patch cycles", "`/patch preflight <tenant>` — dry run of a tenant's next cycle"}},
		{"help halt", []string{"`/patch halt <cycle> [reason…]` — stop a cycle"}},
		{"status", []string{"Active cycles (2):", "• `acme-cu-1` (acme-cu) — running, nonprod: awaiting approval (0/1)",
			"• `bayview-cu-1` (bayview-cu) — halted, nonprod: failed — sensor gate: 1 host; halted by <@U-BOB>: change freeze"}},
		{"status acme-cu", []string{"Active cycles of acme-cu (1):", "acme-cu-1"}},
		{"status nowhere-cu", []string{`Unknown tenant "nowhere-cu"; known tenants: acme-cu, bayview-cu.`, "Usage: /patch status [tenant]"}},
		{"start nowhere-cu", []string{`Unknown tenant "nowhere-cu"; known tenants: acme-cu, bayview-cu.`, "Usage: /patch start <tenant>"}},
		{"start acme-cu", []string{"Started cycle `acme-cu-20261122-0200-abc123` for acme-cu. Preflight inventory runs now; then nonprod waits for approval"}},
		{"start", []string{"start needs a tenant.\nUsage: /patch start <tenant>"}},
		{"report acme-cu-0", []string{"Report of cycle `acme-cu-0`: s3://reports/acme-cu-0.pdf (SHA-256 `abc123`)"}},
		{"report acme-cu-1", []string{"Cycle `acme-cu-1` has no report yet (it is running)"}},
		{"report acme-cu-9", []string{`no cycle "acme-cu-9"`}},
		{"saml", []string{"/patch saml", "not configured"}},
		{"drift", []string{"/patch drift", "not configured"}},
		{"digest", []string{"/patch digest", "not configured"}},
		{"halt acme-cu-1 change freeze", []string{"halt recorded."}},
		{"resume acme-cu-1", []string{"resume recorded."}},
		{"frobnicate", []string{`Unknown subcommand "frobnicate".`, "Usage: " + Usage}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := r.command(t, "U-REQ", tt.text)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("reply to /patch %s:\n%s\nwant it to contain %q", tt.text, got, w)
				}
			}
		})
	}
	_, decides := r.eng.calls()
	if len(decides) != 2 || decides[0].Action != runbooks.HaltCycle || decides[0].Reason != "change freeze" ||
		decides[0].Actor != "U-REQ" || decides[0].SeenRevision != 0 || !strings.HasPrefix(decides[0].InteractionID, "command:trig-") ||
		decides[1].Action != runbooks.Resume {
		t.Fatalf("decisions %+v", decides)
	}
}

// A refused decision is an ephemeral reply with the engine's own words; an
// internal error shows a generic text and keeps its detail in the log.
func TestRefusalsAreEphemeral(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	v := buttonValue("acme-cu-1", "production", runbooks.Approve, 3)
	for _, tt := range []struct {
		err  error
		want string
	}{
		{runbooks.Errorf(runbooks.CodeForbidden, "You are not an approver for production, so you cannot approve it."),
			"You are not an approver for production, so you cannot approve it."},
		{runbooks.Errorf(runbooks.CodeSelfApproval, "You requested this cycle, and production needs someone else's approval (four eyes)."),
			"You requested this cycle, and production needs someone else's approval (four eyes)."},
		{runbooks.Errorf(runbooks.CodeStale, "This message was out of date (latest: nonprod approved). It has been refreshed; look again before deciding."),
			"This message was out of date"},
		{fmt.Errorf("record decision: %w", errors.Join(runbooks.Errorf(runbooks.CodeUnavailable, "The state store is unavailable; nothing was changed. Try again shortly."), errors.New("dial unix /x: refused"))),
			"The state store is unavailable; nothing was changed. Try again shortly."},
		{fmt.Errorf("read cycle: %w", errors.Join(runbooks.Errorf(runbooks.CodeUnavailable, "The state store is unavailable; nothing was changed. Try again shortly."),
			fmt.Errorf("get: %w: dial unix /x: refused", state.ErrUnavailable))),
			StoreUnavailableText},
		{errors.New("decode cycle record: secret detail"), "Something went wrong on our side and nothing was changed; it has been logged."},
	} {
		r.eng.mu.Lock()
		r.eng.decideErr = tt.err
		r.eng.mu.Unlock()
		got := r.click(t, "U-EVE", v)
		if got != tt.want && !strings.HasPrefix(got, tt.want) {
			t.Errorf("refusal %v replied %q, want %q", tt.err, got, tt.want)
		}
		if strings.Contains(got, "secret detail") || strings.Contains(got, "dial unix") {
			t.Errorf("reply leaks internals: %q", got)
		}
	}
	// An unreadable button is refused here, before the engine.
	r.eng.mu.Lock()
	r.eng.decideErr = nil
	before := len(r.eng.decides)
	r.eng.mu.Unlock()
	if got := r.click(t, "U-EVE", `{"c":"acme-cu-1","a":"launch"}`); !strings.Contains(got, "could not be read") {
		t.Fatalf("unreadable button: %q", got)
	}
	if _, decides := r.eng.calls(); len(decides) != before {
		t.Fatal("an unreadable button reached the engine")
	}
}

// A store that cannot claim refuses the work rather than risk doing it
// twice, and says so.
func TestClaimFailureRefuses(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	r.store.Store.Close()
	if got := r.click(t, "U-ALICE", buttonValue("c1", "nonprod", runbooks.Approve, 1)); got != StoreUnavailableText {
		t.Fatalf("reply %q", got)
	}
	if _, decides := r.eng.calls(); len(decides) != 0 {
		t.Fatal("engine called without a claim")
	}
}

// No response_url: the reply goes out as chat.postEphemeral to the
// clicker in the channel.
func TestReplyFallsBackToPostEphemeral(t *testing.T) {
	api := &ephemeralAPI{}
	rep := NewResponseURLReplier(nil, api)
	if err := rep.ReplyEphemeral(context.Background(), Target{ChannelID: "C1", UserID: "U1"}, "hi"); err != nil {
		t.Fatal(err)
	}
	if api.got != "C1/U1" {
		t.Fatalf("postEphemeral to %q", api.got)
	}
	if err := NewResponseURLReplier(nil, nil).ReplyEphemeral(context.Background(), Target{UserID: "U1"}, "hi"); !errors.Is(err, ErrNoReplyTarget) {
		t.Fatalf("no target: %v", err)
	}
	err := NewResponseURLReplier(nil, nil).ReplyEphemeral(context.Background(), Target{ResponseURL: "http://127.0.0.1:1/hooks/SECRET-TOKEN"}, "hi")
	if err == nil || strings.Contains(err.Error(), "SECRET-TOKEN") {
		t.Fatalf("unreachable response_url: %v (must fail without naming the token)", err)
	}
}

type ephemeralAPI struct {
	API
	got string
}

func (a *ephemeralAPI) PostEphemeralContext(ctx context.Context, channel, user string, _ ...slack.MsgOption) (string, error) {
	a.got = channel + "/" + user
	return "1.2", nil
}
