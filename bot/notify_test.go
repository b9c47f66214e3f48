package bot

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// threadLines counts every line of every thread message posted.
func threadLines(t testing.TB, api *recAPI) map[string]int {
	t.Helper()
	got := map[string]int{}
	for _, c := range api.thread() {
		var blocks []map[string]any
		if err := json.Unmarshal([]byte(c.Blocks), &blocks); err != nil {
			t.Fatalf("thread message blocks: %v", err)
		}
		for _, b := range blocks {
			txt, _ := b["text"].(map[string]any)
			s, _ := txt["text"].(string)
			for _, l := range strings.Split(s, "\n") {
				got[l]++
			}
		}
	}
	return got
}

// checkEachEventOnce checks that every event the thread shows (rendered as
// it would be from the final cycle) appears exactly as often as it
// happened: not lost, not doubled by a replica or a redelivery.
func checkEachEventOnce(t testing.TB, api *recAPI, final *runbooks.Cycle, events []runbooks.Event) {
	t.Helper()
	want := map[string]int{}
	for _, ev := range events {
		l := eventLine(final, ev)
		if ev.Type == runbooks.EvGatePassed || ev.Type == runbooks.EvGateFailed {
			l = gateLine(ev)
		}
		if l != "" {
			want[l]++
		}
	}
	got := threadLines(t, api)
	if len(want) == 0 {
		t.Fatal("no event to look for")
	}
	for l, n := range want {
		if got[l] != n {
			t.Errorf("thread shows %q %d times, want %d", l, got[l], n)
		}
	}
}

// patchFailures makes n staging hosts fail their patch.
func patchFailures(n int) func([]runbooks.Host) sim.Faults {
	return func(hosts []runbooks.Host) sim.Faults {
		var f sim.Faults
		for _, h := range hosts {
			if h.Env == "staging" && len(f.PatchFail) < n {
				f.PatchFail = append(f.PatchFail, h.Name)
			}
		}
		return f
	}
}

// TestNotifierReplicasShareOneRootAndThread runs a cycle through three
// engine replicas, each with its own notifier, all on one store: one root
// message, each event once in the thread, the 25 failed hosts as one CSV.
func TestNotifierReplicasShareOneRootAndThread(t *testing.T) {
	ctx := context.Background()
	r := newEngineRun(t, engineRunOptions{replicas: 3, hostsPerTarget: 10, faults: patchFailures(25)})
	c, err := r.engines[1].Start(ctx, r.tenant.Name, engReq)
	if err != nil {
		t.Fatal(err)
	}
	final := r.runToEnd(ctx, c.ID, nil)
	if final.Status != runbooks.StatusCompleted || final.Scope.Excluded != 25 {
		t.Fatalf("cycle ended %s with %d excluded, want completed without 25 hosts", final.Status, final.Scope.Excluded)
	}
	if n := len(r.api.roots()); n != 1 {
		t.Errorf("%d root messages, want 1", n)
	}
	events, err := r.engines[0].Events(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	checkEachEventOnce(t, r.api, final, events)
	ups := r.api.uploads()
	if len(ups) != 5 || !strings.HasSuffix(ups[1].File, "-compliance.pdf") || !strings.HasSuffix(ups[2].File, "-report-hosts.csv") {
		t.Fatalf("%d uploads, want the failed hosts' CSV, then the report's PDF and its three CSVs", len(ups))
	}
	rows, err := csv.NewReader(strings.NewReader(string(ups[0].Content))).ReadAll()
	if err != nil || len(rows) != 26 || strings.Join(rows[0], ",") != "host_id,host_name,reason" {
		t.Errorf("CSV of failed hosts: %d rows, %v", len(rows), err)
	}
	for _, u := range ups {
		if u.ThreadTS != r.api.roots()[0].TS && u.ThreadTS == "" {
			t.Errorf("upload %s not in the cycle's thread", u.File)
		}
	}
	if rec := readChat(t, r.store, c.ID); rec.Posted != final.Revision || rec.Claim != nil {
		t.Errorf("chat record %+v, want posted up to %d and no claim", rec, final.Revision)
	}
	t.Logf("3 replicas, %d hosts, 25 failures: %d Web API calls (%s)", final.Scope.Hosts, len(r.api.Calls("")),
		strings.Join(methodsOf(r.api), ", "))
}

func methodsOf(api *recAPI) []string {
	m := map[string]int{}
	for _, c := range api.Calls("") {
		m[c.Method]++
	}
	return []string{fmtCounts(m)}
}

// recordTape runs a cycle with a recording chat and returns what the
// engine handed over, call by call, and the cycle's end.
func recordTape(t *testing.T, faults func([]runbooks.Host) sim.Faults) (*chatTape, *engineRun, *runbooks.Cycle) {
	t.Helper()
	ctx := context.Background()
	tape := &chatTape{}
	r := newEngineRun(t, engineRunOptions{replicas: 1, hostsPerTarget: 4, faults: faults, tape: tape})
	c, err := r.engines[0].Start(ctx, r.tenant.Name, engReq)
	if err != nil {
		t.Fatal(err)
	}
	return tape, r, r.runToEnd(ctx, c.ID, nil)
}

// TestNotifierSameEventsToThreeReplicasConcurrently hands every call the
// engine made to three notifiers at once, twice each (as at-least-once
// delivery may), and checks Slack saw one root message and each event once.
func TestNotifierSameEventsToThreeReplicasConcurrently(t *testing.T) {
	tape, r, final := recordTape(t, patchFailures(3))
	events, err := r.engines[0].Events(context.Background(), final.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ns []*Notifier
	for i := range 3 {
		n := r.notifier(fmt.Sprintf("replica-%d", i))
		startNotifier(t, n)
		ns = append(ns, n)
	}
	for i, call := range tape.calls {
		var wg sync.WaitGroup
		for _, n := range ns {
			for range 2 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if err := n.CycleChanged(context.Background(), call.c.Clone(), call.evs); err != nil {
						t.Error(err)
					}
				}()
			}
		}
		wg.Wait()
		if i%7 == 0 {
			waitIdle(t, ns...) // sometimes let them finish, sometimes pile up
		}
	}
	waitIdle(t, ns...)
	if n := len(r.api.roots()); n != 1 {
		t.Errorf("%d root messages, want 1", n)
	}
	checkEachEventOnce(t, r.api, final, events)
	if rec := readChat(t, r.store, final.ID); rec.Posted != final.Revision {
		t.Errorf("thread dealt with events up to %d, want %d", rec.Posted, final.Revision)
	}
	if got := len(r.api.thread()); got > len(tape.calls) {
		t.Errorf("%d thread messages for %d calls: more than one per call", got, len(tape.calls))
	}
}

// TestNotifierRestartReadsMissedEventsFromAudit: a notifier that crashed
// after posting the root message leaves events the thread never got; a
// fresh notifier handed only later events reads the missed ones back from
// the audit stream and posts them once, with nothing doubled.
func TestNotifierRestartReadsMissedEventsFromAudit(t *testing.T) {
	tape, r, final := recordTape(t, nil)
	events, err := r.engines[0].Events(context.Background(), final.ID)
	if err != nil {
		t.Fatal(err)
	}
	first := r.notifier("before-crash")
	startNotifier(t, first)
	half := len(tape.calls) / 2
	for _, call := range tape.calls[:half] {
		if err := first.CycleChanged(context.Background(), call.c, call.evs); err != nil {
			t.Fatal(err)
		}
	}
	waitIdle(t, first)
	// The calls handed to the crashed replica after that are lost; the
	// engine hands the new one only the rest, and one call again.
	second := r.notifier("after-restart")
	startNotifier(t, second)
	for _, call := range tape.calls[half+3:] {
		if err := second.CycleChanged(context.Background(), call.c, call.evs); err != nil {
			t.Fatal(err)
		}
	}
	last := tape.calls[len(tape.calls)-1]
	if err := second.CycleChanged(context.Background(), last.c, last.evs); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, second)
	if n := len(r.api.roots()); n != 1 {
		t.Errorf("%d root messages, want 1", n)
	}
	checkEachEventOnce(t, r.api, final, events)
}

// TestNotifierCoalescesProgress: 100 progress updates within the update
// interval cost at most two chat.update calls.
func TestNotifierCoalescesProgress(t *testing.T) {
	api := newRecAPI(t)
	st := openBolt(t)
	n := NewNotifier(api, st, NotifierOptions{Channel: "C1", UpdateInterval: 300 * time.Millisecond,
		Clock: runbooks.ClockFunc(func() time.Time { return fxView.Now }), Log: quietLog(nil)})
	startNotifier(t, n)
	c := fxCycleAt("production", runbooks.PhasePatch)
	c.Stages[3].Patch = runbooks.Op{Handle: "p", Total: 1000}
	if err := n.CycleChanged(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, n)
	for i := 1; i <= 100; i++ {
		c = c.Clone()
		c.Version++
		c.Stages[3].Patch.Succeeded = i * 10
		if err := n.CycleChanged(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
	}
	waitIdle(t, n)
	ups := api.Calls("chat.update")
	if len(ups) == 0 || len(ups) > 2 {
		t.Fatalf("%d chat.update calls for 100 progress changes, want 1 or 2", len(ups))
	}
	if txt := blocksText(t, ups[len(ups)-1].Blocks); !strings.Contains(txt, "patched ") {
		t.Errorf("the update shows no progress: %s", txt)
	}
	if n := len(api.roots()); n != 1 {
		t.Errorf("%d root messages", n)
	}
}

// TestNotifierHonoursRetryAfter: a 429 on the root message and on an
// update is waited out (Retry-After: 1) and the call sent again; nothing
// is lost and the token is never logged.
func TestNotifierHonoursRetryAfter(t *testing.T) {
	api := newRecAPI(t)
	var failedAt sync.Map
	api.fail = func(method string, n int) *slackFailure {
		if n == 0 && (method == "chat.postMessage" || method == "chat.update") {
			failedAt.Store(method, time.Now())
			return &slackFailure{Status: http.StatusTooManyRequests, RetryAfter: "1"}
		}
		return nil
	}
	logs := &testkit.SyncBuffer{}
	n := NewNotifier(api, openBolt(t), NotifierOptions{Channel: "C1", UpdateInterval: 10 * time.Millisecond,
		Clock: runbooks.ClockFunc(func() time.Time { return fxView.Now }), Log: quietLog(logs)})
	startNotifier(t, n)
	c := fxCycleAt("production", runbooks.PhaseApproval)
	if err := n.CycleChanged(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	// The approval comes while the root message waits out its 429.
	testkit.Eventually(t, 10*time.Second, "the root post to be rate-limited", func() bool {
		_, ok := failedAt.Load("chat.postMessage")
		return ok
	})
	c = c.Clone()
	c.Version++
	c.Revision++
	c.Stages[3].Approvals = []runbooks.Approval{{By: fxAlice}}
	if err := n.CycleChanged(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, n)
	for _, m := range []string{"chat.postMessage", "chat.update"} {
		calls := api.Calls(m)
		if len(calls) != 1 {
			t.Fatalf("%d %s calls answered, want 1", len(calls), m)
		}
		at, _ := failedAt.Load(m)
		if wait := calls[0].At.Sub(at.(time.Time)); wait < time.Second {
			t.Errorf("%s retried after %s, before Retry-After's 1 s", m, wait)
		}
	}
	if !strings.Contains(blocksText(t, api.Calls("chat.update")[0].Blocks), "Approved by <@U0ALICE> (1/2)") {
		t.Error("the update after the 429 lost the approval")
	}
	checkNoSecrets(t, logs.String())
	if !strings.Contains(logs.String(), "rate limit") {
		t.Errorf("the 429 was not logged: %s", logs)
	}
}

// TestNotifierRetriesTransientErrors: 5xx answers are retried with backoff;
// a refused message is logged and skipped without blocking the thread.
func TestNotifierRetriesTransientErrors(t *testing.T) {
	api := newRecAPI(t)
	api.fail = func(method string, n int) *slackFailure {
		switch {
		case method == "chat.postMessage" && n < 2:
			return &slackFailure{Status: http.StatusServiceUnavailable}
		case method == "files.getUploadURLExternal" && n == 0:
			return &slackFailure{Err: "internal_error"}
		case method == "chat.postMessage" && n == 4:
			return &slackFailure{Err: "invalid_blocks"} // the incident message: refused for good
		}
		return nil
	}
	logs := &testkit.SyncBuffer{}
	n := NewNotifier(api, openBolt(t), NotifierOptions{Channel: "C1", Log: quietLog(logs),
		Clock: runbooks.ClockFunc(func() time.Time { return fxView.Now })})
	n.poster.retry = retryPolicy{base: 5 * time.Millisecond, max: 20 * time.Millisecond, minRateWait: time.Second}
	startNotifier(t, n)
	c, evs := fxFailed(runbooks.PhasePatch, 25, "s", "patch failed on 25 host(s)", "exit 1")
	seqFrom1(c, evs)
	if err := n.CycleChanged(context.Background(), c, evs); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, n)
	inc := fxEvent(int64(len(evs)+1), fxAt(76*time.Minute), "nonprod", runbooks.EvIncidentOpened, runbooks.ActorSystem,
		"paged", map[string]string{"dedup_key": "k"})
	c2 := c.Clone()
	c2.Version, c2.Revision = c.Version+1, inc.Seq
	if err := n.CycleChanged(context.Background(), c2, []runbooks.Event{inc}); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, n)
	if got := len(api.roots()); got != 1 {
		t.Errorf("%d root messages after two 503s, want 1", got)
	}
	if got := len(api.thread()); got != 1 {
		t.Errorf("%d thread messages, want the failure's (the incident's was refused)", got)
	}
	if got := len(api.uploads()); got != 1 {
		t.Errorf("%d uploads after an internal_error, want 1", got)
	}
	if rec := readChat(t, n.store, c.ID); rec.Posted != inc.Seq {
		t.Errorf("thread posted up to %d, want %d (a refused message must not block it)", rec.Posted, inc.Seq)
	}
	if !strings.Contains(logs.String(), "invalid_blocks") {
		t.Error("the refused message was not logged")
	}
	checkNoSecrets(t, logs.String())
}

// seqFrom1 renumbers a fixture's events 1, 2, … and sets the revision, as
// for a cycle whose whole history they are.
func seqFrom1(c *runbooks.Cycle, evs []runbooks.Event) {
	for i := range evs {
		evs[i].Seq = int64(i + 1)
	}
	c.Revision = int64(len(evs))
}

// TestNotifierLongFindingListIsOneCSV: 1,000 failed hosts are one thread
// message listing ten and one CSV holding all, not a wall of messages.
func TestNotifierLongFindingListIsOneCSV(t *testing.T) {
	for _, hosts := range []int{25, 1000} {
		t.Run(fmt.Sprint(hosts), func(t *testing.T) {
			api := newRecAPI(t)
			n := NewNotifier(api, openBolt(t), NotifierOptions{Channel: "C1", Log: quietLog(nil)})
			startNotifier(t, n)
			c, evs := fxFailed(runbooks.PhasePatch, hosts, "s", fmt.Sprintf("patch failed on %d host(s)", hosts), "exit 1")
			seqFrom1(c, evs)
			if err := n.CycleChanged(context.Background(), c, evs); err != nil {
				t.Fatal(err)
			}
			waitIdle(t, n)
			thread, ups := api.thread(), api.uploads()
			if len(thread) != 1 || len(ups) != 1 {
				t.Fatalf("%d thread messages and %d uploads, want 1 and 1", len(thread), len(ups))
			}
			if got := strings.Count(blocksText(t, thread[0].Blocks), "• `i-"); got != inlineFindings {
				t.Errorf("%d hosts listed inline, want %d", got, inlineFindings)
			}
			rows, err := csv.NewReader(strings.NewReader(string(ups[0].Content))).ReadAll()
			if err != nil || len(rows) != hosts+1 {
				t.Errorf("CSV has %d rows (%v), want %d", len(rows), err, hosts+1)
			}
			if ups[0].ThreadTS != api.roots()[0].TS || ups[0].Channel != "C1" {
				t.Errorf("CSV went to %s/%s, not the cycle's thread", ups[0].Channel, ups[0].ThreadTS)
			}
		})
	}
}

// TestNotifierRootClaims: a fresh marker of another replica is waited for
// and its message used; a stale one is taken over.
func TestNotifierRootClaims(t *testing.T) {
	t.Run("fresh marker: wait and use theirs", func(t *testing.T) {
		api, st := newRecAPI(t), openBolt(t)
		c := fxCycleAt("production", runbooks.PhaseApproval)
		mustCreateChat(t, st, c.ID, chatRecord{Channel: "C1", Poster: "other", Since: time.Now()})
		reads := &keyReads{Store: st, key: chatKey(c.ID)}
		n := NewNotifier(api, reads, NotifierOptions{Channel: "C1", Log: quietLog(nil)})
		n.pollWait = 5 * time.Millisecond
		startNotifier(t, n)
		if err := n.CycleChanged(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
		// Three reads of the fresh marker: the notifier saw it and chose to
		// wait, twice over.
		testkit.Eventually(t, 10*time.Second, "the notifier to look at the marker 3 times", func() bool {
			return reads.n.Load() >= 3
		})
		if len(api.roots()) != 0 {
			t.Fatal("posted a root message while another replica was posting it")
		}
		if err := modifyChat(context.Background(), st, c.ID, func(r *chatRecord) bool {
			r.TS, r.Poster, r.Shown, r.ShownBy = "1700000000.000001", "", c.Version, "other"
			return true
		}); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, n)
		if len(api.roots()) != 0 || len(api.Calls("chat.update")) != 0 {
			t.Errorf("posted or updated although the other replica showed this very version")
		}
	})
	t.Run("stale marker: take over", func(t *testing.T) {
		api, st := newRecAPI(t), openBolt(t)
		c := fxCycleAt("production", runbooks.PhaseApproval)
		mustCreateChat(t, st, c.ID, chatRecord{Channel: "C1", Poster: "dead", Since: time.Now().Add(-3 * time.Minute)})
		n := NewNotifier(api, st, NotifierOptions{Channel: "C1", Log: quietLog(nil)})
		startNotifier(t, n)
		if err := n.CycleChanged(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, n)
		if len(api.roots()) != 1 {
			t.Fatalf("%d root messages, want 1", len(api.roots()))
		}
		if rec := readChat(t, st, c.ID); rec.TS != api.roots()[0].TS || rec.Poster != "" {
			t.Errorf("record after take-over: %+v", rec)
		}
	})
	t.Run("Slack refuses: marker dropped, next change posts", func(t *testing.T) {
		api, st := newRecAPI(t), openBolt(t)
		api.fail = func(method string, n int) *slackFailure {
			if method == "chat.postMessage" && n < maxServeFailures {
				return &slackFailure{Err: "not_in_channel"}
			}
			return nil
		}
		n := NewNotifier(api, st, NotifierOptions{Channel: "C1", Log: quietLog(nil)})
		n.poster.retry = retryPolicy{base: time.Millisecond, max: time.Millisecond, minRateWait: time.Millisecond}
		startNotifier(t, n)
		c := fxCycleAt("production", runbooks.PhaseApproval)
		if err := n.CycleChanged(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, n)
		if len(api.roots()) != 0 {
			t.Fatal("posted although Slack refused")
		}
		if _, _, found, _ := loadChat(context.Background(), st, c.ID); found {
			t.Error("the posting marker outlived the refusal")
		}
		if err := n.CycleChanged(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
		waitIdle(t, n)
		if len(api.roots()) != 1 {
			t.Errorf("%d root messages after the bot was invited, want 1", len(api.roots()))
		}
	})
}

func mustCreateChat(t testing.TB, st state.Store, id string, rec chatRecord) {
	t.Helper()
	if _, err := createChat(context.Background(), st, id, rec); err != nil {
		t.Fatal(err)
	}
}

// TestNotifierNeverShowsAnOlderCycle: a replica holding an older version of
// the cycle does not overwrite the message another replica updated.
func TestNotifierNeverShowsAnOlderCycle(t *testing.T) {
	api, st := newRecAPI(t), openBolt(t)
	opts := NotifierOptions{Channel: "C1", Log: quietLog(nil), UpdateInterval: time.Millisecond}
	opts.Replica = "a"
	a := NewNotifier(api, st, opts)
	opts.Replica = "b"
	b := NewNotifier(api, st, opts)
	startNotifier(t, a)
	startNotifier(t, b)
	c := fxCycleAt("production", runbooks.PhaseApproval)
	if err := a.CycleChanged(context.Background(), c, nil); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, a)
	newer := c.Clone()
	newer.Version, newer.Revision = c.Version+2, c.Revision+2
	newer.Stages[3].Approvals = []runbooks.Approval{{By: fxAlice}}
	if err := a.CycleChanged(context.Background(), newer, nil); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, a)
	older := c.Clone()
	older.Version, older.Revision, older.Status = c.Version+1, c.Revision+1, runbooks.StatusHalted
	older.Halt = &runbooks.Halt{By: fxBob, Reason: "x"}
	if err := b.CycleChanged(context.Background(), older, nil); err != nil {
		t.Fatal(err)
	}
	waitIdle(t, b)
	ups := api.Calls("chat.update")
	if len(ups) != 1 || !strings.Contains(blocksText(t, ups[0].Blocks), "(1/2)") {
		t.Errorf("updates: %d, want only the newer one", len(ups))
	}
}

// TestNotifierDrainsOnShutdown: an update waiting for its interval goes out
// when Run's context ends, before Run returns.
func TestNotifierDrainsOnShutdown(t *testing.T) {
	api := newRecAPI(t)
	n := NewNotifier(api, openBolt(t), NotifierOptions{Channel: "C1", Log: quietLog(nil), UpdateInterval: time.Hour})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	testkit.Eventually(t, 10*time.Second, "the notifier to run", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.running
	})
	c := fxCycleAt("production", runbooks.PhaseApproval)
	for i := range 3 {
		c = c.Clone()
		c.Version++
		c.Revision++
		c.Stages[3].Approvals = make([]runbooks.Approval, i%2)
		if err := n.CycleChanged(context.Background(), c, nil); err != nil {
			t.Fatal(err)
		}
		if i < 2 { // the root post, then the first update, which need not wait
			waitIdle(t, n)
		}
	}
	if got := len(api.Calls("chat.update")); got != 1 {
		t.Fatalf("%d updates before shutdown, want 1 (the next waits an hour)", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	ups := api.Calls("chat.update")
	if len(ups) != 2 || !strings.Contains(ups[1].Blocks, fmt.Sprintf(`\"r\":%d}`, c.Revision)) {
		t.Errorf("after shutdown: %d updates, want the last rendering sent", len(ups))
	}
}

// checkNoSecrets fails if a log holds the token or an upload URL.
func checkNoSecrets(t testing.TB, logs string) {
	t.Helper()
	for _, s := range []string{testToken, "secretsecret", "/upload/F"} {
		if strings.Contains(logs, s) {
			t.Errorf("a log line holds %q:\n%s", s, logs)
		}
	}
}

// keyReads counts the reads of one key, so a test can wait until a
// notifier has looked at a record rather than for a guessed time.
type keyReads struct {
	state.Store
	key string
	n   atomic.Int32
}

func (s *keyReads) Get(ctx context.Context, key string) (state.Record, error) {
	if key == s.key {
		s.n.Add(1)
	}
	return s.Store.Get(ctx, key)
}
