package bot

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// TestConfigEventDismissFromCardModal: a remediation card's Dismiss…
// button opens a modal for the reason (views.open with the click's
// trigger_id, on the sandbox Slack over Socket Mode); a blank reason is
// refused with nothing decided; a typed one dismisses through the same
// decision as /patch dismiss (action, remediation, clicker, reason); a
// trigger opens one view only; without a view opener the button's reply
// names the command.
func TestConfigEventDismissFromCardModal(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sb, api, channel, _ := startSandbox(t)
	eng := newFakeEngine()
	h := NewHandler(eng, openBolt(t), NewResponseURLReplier(nil, api), HandlerOptions{Views: api, Log: quietLog(&testkit.SyncBuffer{})})
	done := make(chan error, 1)
	go func() { done <- h.RunSocketMode(ctx, socketmode.New(api)) }()
	t.Cleanup(func() { cancel(); <-done })

	const rm, sam = "RM-acme-cu-20261122-0200-abc123", "U0SRE00001"
	card := &runbooks.Cycle{ID: rm, Revision: 3, Stages: []runbooks.Stage{{Name: "production", Phase: runbooks.PhaseApproval}}}
	_, ts, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText("remediation", false), slack.MsgOptionBlocks(remediationActions(card)))
	if err != nil {
		t.Fatal(err)
	}
	openModal := func() sandbox.View {
		t.Helper()
		if err := sb.Click(ctx, sam, channel, ts, ActionID(runbooks.Dismiss), ""); err != nil {
			t.Fatal(err)
		}
		var v sandbox.View
		waitFor(t, "the dismiss modal to open", func() bool {
			vs := sb.OpenViews(sam)
			if len(vs) == 1 {
				v = vs[0]
			}
			return len(vs) == 1
		})
		if v.CallbackID != dismissCallbackID || !strings.Contains(v.PrivateMetadata, rm) || !strings.Contains(string(v.Blocks), `"block_id":"reason"`) {
			t.Fatalf("modal %+v: want the dismiss form for %s with a reason input", v, rm)
		}
		return v
	}
	replied := func(want string) {
		t.Helper()
		waitFor(t, "a reply containing "+want, func() bool {
			for _, e := range sb.Ephemerals(sam) {
				if strings.Contains(e.Text, want) {
					return true
				}
			}
			return false
		})
	}

	v := openModal()
	if _, decides := eng.calls(); len(decides) != 0 {
		t.Fatalf("the Dismiss click decided %+v; it must only open the form", decides)
	}
	if err := sb.SubmitView(ctx, sam, v.ID, map[string]map[string]string{dismissReasonBlock: {dismissReasonAction: "   "}}); err != nil {
		t.Fatal(err)
	}
	replied("needs a reason")
	if _, decides := eng.calls(); len(decides) != 0 {
		t.Fatalf("a blank reason reached Decide: %+v", decides)
	}

	v = openModal()
	if err := sb.SubmitView(ctx, sam, v.ID, map[string]map[string]string{dismissReasonBlock: {dismissReasonAction: "instance decommissioned in CHG0031337"}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the dismiss decision", func() bool { _, d := eng.calls(); return len(d) == 1 })
	_, decides := eng.calls()
	if d := decides[0]; d.Action != runbooks.Dismiss || d.Cycle != rm || d.Actor != sam || d.Reason != "instance decommissioned in CHG0031337" || d.InteractionID == "" {
		t.Fatalf("decision %+v: want a dismiss of %s by %s with the typed reason", d, rm, sam)
	}

	// A trigger_id opens one view: Slack refuses a second views.open.
	if _, err := api.OpenViewContext(ctx, "no-such-trigger", dismissModal(dismissMeta{Remediation: rm})); err == nil || !strings.Contains(err.Error(), "invalid_trigger_id") {
		t.Errorf("views.open with an unknown trigger: %v, want invalid_trigger_id", err)
	}

	// Without a view opener the click says how to dismiss by command.
	bare := NewHandler(eng, openBolt(t), NewResponseURLReplier(nil, api), HandlerOptions{})
	c := click{Decision: runbooks.Decision{Cycle: rm, Action: runbooks.Dismiss}, TriggerID: "t"}
	if got := bare.decide(ctx, c); !strings.Contains(got, "/patch dismiss "+rm+" <reason…>") {
		t.Errorf("reply without a view opener: %q", got)
	}
}

// TestConfigEventDismissModalSlackFailsReplyNamesCommand: views.open
// answered with Slack's HTML 500, or never answered, ends within the
// trigger's 3 seconds with the reply naming /patch dismiss, no open view
// and nothing decided.
func TestConfigEventDismissModalSlackFailsReplyNamesCommand(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(sb *sandbox.Server, peer *testkit.Hostile)
	}{
		{"500 with HTML", func(sb *sandbox.Server, _ *testkit.Hostile) {
			sb.FailNext("views.open", http.StatusInternalServerError, 0)
		}},
		{"never answers", func(_ *sandbox.Server, peer *testkit.Hostile) { peer.BlackHole() }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			sb, api, channel, opts := startSandbox(t)
			peer := testkit.NewHostile(t, sb.URL())
			peer.Match = func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/views.open") }
			views := slack.New(opts.BotToken, slack.OptionAPIURL(peer.URL+"/api/"))
			eng := newFakeEngine()
			h := NewHandler(eng, openBolt(t), NewResponseURLReplier(nil, api), HandlerOptions{Views: views, Log: quietLog(&testkit.SyncBuffer{})})
			done := make(chan error, 1)
			go func() { done <- h.RunSocketMode(ctx, socketmode.New(api)) }()
			t.Cleanup(func() { cancel(); <-done })
			tc.set(sb, peer)

			const rm, sam = "RM-acme-cu-20261122-0200-abc123", "U0SRE00001"
			card := &runbooks.Cycle{ID: rm, Revision: 3, Stages: []runbooks.Stage{{Name: "production", Phase: runbooks.PhaseApproval}}}
			_, ts, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText("remediation", false), slack.MsgOptionBlocks(remediationActions(card)))
			if err != nil {
				t.Fatal(err)
			}
			if err := sb.Click(ctx, sam, channel, ts, ActionID(runbooks.Dismiss), ""); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the reply naming the command", func() bool {
				for _, e := range sb.Ephemerals(sam) {
					if strings.Contains(e.Text, "could not be opened") && strings.Contains(e.Text, "/patch dismiss "+rm) {
						return true
					}
				}
				return false
			})
			if _, decides := eng.calls(); len(decides) != 0 || len(sb.OpenViews(sam)) != 0 {
				t.Errorf("decisions %+v, open views %d; want none", decides, len(sb.OpenViews(sam)))
			}
		})
	}
}
