package bot

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// TestNotifierOnSandbox replays a whole cycle (every staging host failing
// its patch, then excluded) into a notifier whose real slack-go client talks
// to the sandbox Slack, with a 429 on the way: one root message edited in
// place, the thread holding the story, the CSV and the report as files in
// that thread, and buttons the sandbox accepts.
func TestNotifierOnSandbox(t *testing.T) {
	tape, r, final := recordTape(t, patchFailures(25))
	sb, api, channel, opts := startSandbox(t)
	sb.FailNext("chat.update", http.StatusTooManyRequests, time.Second)

	n := NewNotifier(api, r.store, NotifierOptions{Channel: channel, UpdateInterval: 10 * time.Millisecond,
		Clock: r.clock, Log: quietLog(r.logs), Tenants: TenantNames([]runbooks.Tenant{r.tenant})})
	startNotifier(t, n)
	for _, call := range tape.calls {
		if err := n.CycleChanged(context.Background(), call.c, call.evs); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, n)
	}

	msgs := sb.Messages(channel)
	if len(msgs) != 1 {
		t.Fatalf("%d top-level messages in the channel, want the one root message", len(msgs))
	}
	root := msgs[0]
	if root.Edited == 0 || !strings.Contains(string(root.Blocks), "All stages done") {
		t.Errorf("root message edited %d times, ends: %s", root.Edited, root.Blocks)
	}
	if len(root.Replies) < 5 {
		t.Errorf("%d thread replies, want the cycle's story", len(root.Replies))
	}
	var csvs, reports, bundle int
	for _, f := range sb.Files() {
		if f.ThreadTS != root.TS || f.Channel != channel {
			t.Errorf("file %s shared to %s/%s, not the cycle's thread", f.Name, f.Channel, f.ThreadTS)
		}
		switch {
		case strings.HasSuffix(f.Name, "-report-hosts.csv"):
			bundle++
			if got := strings.Count(string(f.Content), "\n"); got != final.Scope.Hosts+1 {
				t.Errorf("report hosts.csv has %d lines, want a header and %d hosts", got, final.Scope.Hosts)
			}
		case strings.Contains(f.Name, "-report-"):
			bundle++
		case strings.HasSuffix(f.Name, "-hosts.csv"):
			csvs++
			if got := strings.Count(string(f.Content), "\n"); got != final.Scope.Excluded+1 {
				t.Errorf("CSV has %d lines, want a header and %d hosts", got, final.Scope.Excluded)
			}
		case len(f.Content) > 0:
			reports++
		}
	}
	if csvs != 1 || reports != 1 || bundle != 3 {
		t.Errorf("%d finding CSVs, %d PDFs and %d report CSVs in the thread, want 1, 1 and 3", csvs, reports, bundle)
	}
	if final.Status != runbooks.StatusCompleted || final.Scope.Excluded <= inlineFindings {
		t.Errorf("cycle ended %s", final.Status)
	}
	checkNoSecrets(t, r.logs.String())
	if strings.Contains(r.logs.String(), opts.BotToken) {
		t.Error("the bot token reached the log")
	}
	t.Logf("sandbox saw %v", sb.Calls())
}
