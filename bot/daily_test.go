package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/runbooks/daily"
)

// TestDailyClicksAreNotCycleDecisions: daily-check buttons go to their own
// handler (not to the engine as unreadable cycle buttons), and a damaged
// value is answered without acting.
func TestDailyClicksAreNotCycleDecisions(t *testing.T) {
	ic := slack.InteractionCallback{Type: slack.InteractionTypeBlockActions, User: slack.User{ID: "U1"},
		ActionCallback: slack.ActionCallbacks{BlockActions: []*slack.BlockAction{
			{ActionID: ActionSAMLTick, Value: EncodeTickValue("ab", "okta-01"), ActionTs: "1"},
			{ActionID: ActionDriftRatify, Value: "{", ActionTs: "2"},
		}}}
	if n := len(clicksOf(ic)); n != 0 {
		t.Errorf("clicksOf took %d daily-check clicks as cycle decisions", n)
	}
	hc := dailyClicksOf(ic)
	if len(hc) != 2 || hc[0].ID == hc[1].ID || hc[0].Actor != "U1" {
		t.Fatalf("daily-check clicks = %+v", hc)
	}
	h := NewHandler(newFakeEngine(), openBolt(t), nil, HandlerOptions{})
	if got := h.dailyClick(context.Background(), hc[0]); !strings.Contains(got, "not configured") {
		t.Errorf("without daily checks: %q", got)
	}
	h.opts.Daily = DailyReplies{Checks: &daily.Service{}}
	if got := h.dailyClick(context.Background(), hc[1]); !strings.Contains(got, "could not be read") {
		t.Errorf("damaged value: %q", got)
	}
}
