package events_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// drain polls with every poller at once until cond holds.
func drain(t *testing.T, what string, cond func() bool, polls ...func(context.Context) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	for _, poll := range polls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if err := poll(ctx); err != nil && ctx.Err() == nil {
					t.Errorf("poll: %v", err)
					return
				}
			}
		}()
	}
	testkit.Eventually(t, 90*time.Second, what, cond)
	cancel()
	wg.Wait()
}

// Each event sent twice to one queue that three replicas poll at once is
// recorded once, lands in the right tenant and environment, and every
// message is deleted (after it was recorded), none dead-lettered.
func TestConfigEventDeliveredTwiceToThreeReplicasRecordsEachEventOnce(t *testing.T) {
	r := newRig(t, "30")
	chat := &notices{}
	sink := newSink(t, chat)
	const n = 20
	for i := range n {
		env := []string{"nonprod", "production"}[i%2]
		body := fixture(t, fmt.Sprintf("evt-%02d", i), motoAccount, r.instances[env], "NON_COMPLIANT")
		r.send(t, body)
		r.send(t, body) // EventBridge delivers at least once
	}
	var log logBuffer
	var polls []func(context.Context) error
	for range 3 {
		p := r.poller(t, sink, &log)
		polls = append(polls, func(ctx context.Context) error { _, err := p.PollOnce(ctx); return err })
	}
	drain(t, "every message recorded and deleted", func() bool { return r.depth(t, r.queue) == 0 }, polls...)

	got := sink.recorded()
	if len(got) != n {
		t.Fatalf("recorded %d distinct events, want %d", len(got), n)
	}
	for i := range n {
		ev, ok := got[fmt.Sprintf("evt-%02d", i)]
		wantEnv := []string{"nonprod", "production"}[i%2]
		if !ok || ev.Tenant != "acme-cu" || ev.Env != wantEnv || ev.InstanceID != r.instances[wantEnv] ||
			ev.Compliance != "NON_COMPLIANT" || ev.Source != "sqs:patchgate-intake" || ev.Rule != "ec2-managedinstance-patch-compliance-status-check" {
			t.Errorf("event %d recorded as %+v (ok=%v), want acme-cu/%s", i, ev, ok, wantEnv)
		}
	}
	if d := r.depth(t, r.dlq); d != 0 {
		t.Errorf("%d messages dead-lettered, want none", d)
	}
	if u, f := chat.counts(); u != 0 || f != 0 {
		t.Errorf("notices: %d unknown, %d refused; want none", u, f)
	}
}

// An instance no tenant owns (an account no target names, or tags no
// selector matches) is recorded on the intake audit stream and shown in
// chat once, even when delivered twice, and its message is deleted only
// then: reported, never dropped.
func TestConfigEventUnknownInstanceIsRecordedAuditedAndReportedOnce(t *testing.T) {
	r := newRig(t, "30")
	chat := &notices{}
	sink := newSink(t, chat)
	foreign := fixture(t, "evt-foreign", "999988887777", "i-0123456789abcdef0", "NON_COMPLIANT")
	untagged := fixture(t, "evt-untagged", motoAccount, r.instances["unowned"], "NON_COMPLIANT")
	for _, b := range [][]byte{foreign, untagged, foreign, untagged} {
		r.send(t, b)
	}
	var log logBuffer
	p := r.poller(t, sink, &log)
	drain(t, "both unknown events handled", func() bool { return r.depth(t, r.queue) == 0 },
		func(ctx context.Context) error { _, err := p.PollOnce(ctx); return err })

	if got := sink.recorded(); len(got) != 0 {
		t.Errorf("unknown instances reached the remediation: %v", got)
	}
	evs, err := sink.UnknownInstanceEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, ev := range evs {
		if ev.Type != runbooks.EvUnknownInstance {
			t.Errorf("unexpected intake event %+v", ev)
			continue
		}
		if _, dup := seen[ev.Data["event"]]; dup {
			t.Errorf("event %s audited twice", ev.Data["event"])
		}
		seen[ev.Data["event"]] = ev.Detail
	}
	if !strings.Contains(seen["evt-foreign"], "account 999988887777") || !strings.Contains(seen["evt-untagged"], "no tags") {
		t.Errorf("audited reasons = %v", seen)
	}
	if u, _ := chat.counts(); u != 2 {
		t.Errorf("%d unknown-instance notices, want 2", u)
	}
	if d := r.depth(t, r.dlq); d != 0 {
		t.Errorf("%d messages dead-lettered, want none", d)
	}
}

// A poison message (not the documented event; it carries a secret) is
// never deleted by the intake: SQS redelivers it until maxReceiveCount
// and its redrive policy moves it to the dead-letter queue. The refusal is
// visible (log and audit line with the message id, one chat notice) and
// never quotes the body. A good event in the same queue goes through.
func TestConfigEventPoisonMessageEndsInTheDLQWithAVisibleError(t *testing.T) {
	r := newRig(t, "0")
	chat := &notices{}
	sink := newSink(t, chat)
	const secret = "hunter2-SECRET-token"
	poison := r.send(t, []byte(`{"detail-type":"Config Rules Compliance Change","source":"aws.config","id":"x","detail":{"resourceId":"`+secret+`"`))
	wrongKind := r.send(t, []byte(`{"version":"0","id":"e2","detail-type":"EC2 Instance State-change Notification","source":"aws.ec2","detail":{"password":"`+secret+`"}}`))
	r.send(t, fixture(t, "evt-good", motoAccount, r.instances["nonprod"], "NON_COMPLIANT"))

	var log logBuffer
	p := r.poller(t, sink, &log)
	drain(t, "poison messages dead-lettered, the good one recorded",
		func() bool { return r.depth(t, r.dlq) == 2 && r.depth(t, r.queue) == 0 },
		func(ctx context.Context) error { _, err := p.PollOnce(ctx); return err })

	if got := sink.recorded(); len(got) != 1 || got["evt-good"].Env != "nonprod" {
		t.Errorf("recorded %v, want evt-good only", got)
	}
	evs, err := sink.UnknownInstanceEvents(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	refused := map[string]bool{}
	for _, ev := range evs {
		if ev.Type == runbooks.EvIntakeRefused {
			if refused[ev.Data["message"]] {
				t.Errorf("message %s audited twice", ev.Data["message"])
			}
			refused[ev.Data["message"]] = true
			if strings.Contains(ev.Detail, secret) {
				t.Errorf("audit line quotes the body: %q", ev.Detail)
			}
		}
	}
	if !refused[poison] || !refused[wrongKind] {
		t.Errorf("refusals audited for %v, want %s and %s", refused, poison, wrongKind)
	}
	if _, f := chat.counts(); f != 2 {
		t.Errorf("%d refusal notices, want 2 (one per message)", f)
	}
	logs := log.String()
	if !strings.Contains(logs, poison) || !strings.Contains(logs, "dead-letter") {
		t.Errorf("log does not name the refused message %s:\n%s", poison, logs)
	}
	if strings.Contains(logs, secret) {
		t.Errorf("log quotes the poison body")
	}
}
