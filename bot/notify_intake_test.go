package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// The intake's notices reach the cycles channel: an unknown instance names
// the instance, account, rule and why it is unplaced; a refused message
// names the message id and the dead-letter queue, and a transient Slack
// failure is retried.
func TestConfigEventNoticesArePostedInTheCyclesChannel(t *testing.T) {
	api := newRecAPI(t)
	api.fail = func(method string, n int) *slackFailure {
		if method == "chat.postMessage" && n == 0 {
			return &slackFailure{Status: 500}
		}
		return nil
	}
	n := NewNotifier(api, openBolt(t), NotifierOptions{Channel: "C1"})
	ctx := context.Background()
	ev := runbooks.ComplianceEvent{ID: "evt-9", Account: "111122223333", Region: "us-east-1", InstanceID: "i-0abc12345678",
		Rule: "ec2-managedinstance-patch-compliance-status-check", Compliance: "NON_COMPLIANT", Source: "sqs:patchgate-intake"}
	if err := n.UnknownInstance(ctx, ev, "account 111122223333 in us-east-1 belongs to no tenant's AWS targets"); err != nil {
		t.Fatal(err)
	}
	if err := n.IntakeRefused(ctx, runbooks.IntakeRefusal{Source: "sqs:patchgate-intake", MessageID: "msg-7", Reason: "invalid: not a JSON event"}); err != nil {
		t.Fatal(err)
	}
	posts := api.Calls("chat.postMessage")
	api.mu.Lock()
	tries := api.counts["chat.postMessage"]
	api.mu.Unlock()
	if len(posts) != 2 || tries != 3 { // the first try failed and was retried
		t.Fatalf("%d notices posted in %d tries, want 2 in 3: %+v", len(posts), tries, posts)
	}
	unknown, refused := posts[0], posts[1]
	for _, want := range []string{"i-0abc12345678", "111122223333", "no tenant", "evt-9", "audit/intake"} {
		if !strings.Contains(unknown.Text, want) {
			t.Errorf("unknown-instance notice %q lacks %q", unknown.Text, want)
		}
	}
	if unknown.Channel != "C1" || !strings.Contains(refused.Text, "msg-7") || !strings.Contains(refused.Text, "dead-letter") {
		t.Errorf("notices = %q / %q", unknown.Text, refused.Text)
	}
}
