package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/internal/ctxsleep"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// postThread posts the thread message evs call for, once across every
// replica and redelivery, and returns the last event sequence the thread
// has dealt with.
//
// chat/<cycle> keeps that sequence (Posted). A replica claims the events
// after it with compare-and-swap, posts, then moves Posted on; the others
// find Posted past their events and post nothing. Events before the first
// one handed here that the thread never got (handed to a replica that
// died, or folded while minor) are read back from the audit stream. When
// no event is notable nothing is posted and Posted stays, so they are
// shown with the next notable one.
func (n *Notifier) postThread(ctx context.Context, ref msgRef, c *runbooks.Cycle, evs []runbooks.Event) (int64, error) {
	hi := evs[len(evs)-1].Seq
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		rec, ver, found, err := loadChat(ctx, n.store, c.ID)
		if err != nil {
			return 0, err
		}
		if !found {
			return 0, fmt.Errorf("thread of %s: %s is gone", c.ID, chatKey(c.ID))
		}
		if rec.Posted >= hi {
			return rec.Posted, nil
		}
		if cl := rec.Claim; cl != nil && cl.Owner != n.replica && time.Since(cl.Since) <= n.claimTTL {
			if err := ctxsleep.Sleep(ctx, n.pollWait); err != nil {
				return 0, err
			}
			continue
		}
		batch, err := n.withGaps(ctx, c.ID, rec.Posted, evs)
		if err != nil {
			return 0, err
		}
		if !slices.ContainsFunc(batch, func(ev runbooks.Event) bool { return notable(c, ev) }) {
			return rec.Posted, nil
		}
		rec.Claim = &threadClaim{Owner: n.replica, To: hi, Since: time.Now().UTC()}
		if _, err := casChat(ctx, n.store, c.ID, rec, ver); errors.Is(err, state.ErrConflict) {
			continue
		} else if err != nil {
			return 0, err
		}
		if err := n.sendThread(ctx, ref, c, batch); err != nil {
			return 0, err // the claim stays; it goes stale and is retaken
		}
		return hi, n.markPosted(ctx, c.ID, hi)
	}
}

// markPosted moves Posted to hi and drops this replica's claim, trying up
// to maxRecordAttempts times; after that the claim goes stale and is
// retaken.
func (n *Notifier) markPosted(ctx context.Context, cycleID string, hi int64) error {
	for attempt := 1; ; attempt++ {
		err := modifyChat(ctx, n.store, cycleID, func(r *chatRecord) bool {
			r.Posted = max(r.Posted, hi)
			if r.Claim != nil && r.Claim.Owner == n.replica {
				r.Claim = nil
			}
			return true
		})
		if err == nil || ctx.Err() != nil {
			return err
		}
		if attempt >= maxRecordAttempts {
			n.log.Error("could not record the thread's posted events; gave up", "cycle", cycleID,
				"posted", hi, "attempts", attempt, "err", safeErr(err))
			return fmt.Errorf("record thread of %s: gave up after %d attempts: %w", cycleID, attempt, err)
		}
		if serr := ctxsleep.Sleep(ctx, n.poster.retry.backoff(attempt-1)); serr != nil {
			return err
		}
	}
}

// withGaps returns the events after posted up to the last of evs, reading
// any this replica was not handed from the cycle's audit stream.
func (n *Notifier) withGaps(ctx context.Context, cycleID string, posted int64, evs []runbooks.Event) ([]runbooks.Event, error) {
	var batch []runbooks.Event
	for _, ev := range evs {
		if ev.Seq > posted {
			batch = append(batch, ev)
		}
	}
	hi := evs[len(evs)-1].Seq
	if int64(len(batch)) == hi-posted {
		return batch, nil // evs are sorted and unique, so none is missing
	}
	have := make(map[int64]bool, len(batch))
	for _, ev := range batch {
		have[ev.Seq] = true
	}
	stream := runbooks.AuditStream(cycleID)
	entries, err := n.store.Read(ctx, stream, posted+1, int(hi-posted))
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, storeFailure("read "+stream, err)
	}
	for _, en := range entries {
		if en.Seq > hi || have[en.Seq] {
			continue
		}
		var ev runbooks.Event
		if err := json.Unmarshal(en.Data, &ev); err != nil {
			n.log.Warn("skip unreadable audit entry", "cycle", cycleID, "seq", en.Seq, "err", err)
			continue
		}
		ev.Seq = en.Seq
		batch = append(batch, ev)
	}
	slices.SortFunc(batch, func(a, b runbooks.Event) int { return int(a.Seq - b.Seq) })
	return batch, nil
}

// sendThread posts the rendered thread message(s) and their files, and the
// report file when the report is done. A message Slack refuses for good is
// logged and skipped, so one bad message cannot block the thread; only the
// end of ctx stops it.
func (n *Notifier) sendThread(ctx context.Context, ref msgRef, c *runbooks.Cycle, batch []runbooks.Event) error {
	for _, p := range renderThread(c, batch) {
		opts := append(p.msg.options(), slack.MsgOptionTS(ref.TS))
		err := n.poster.post(ctx, ref.Channel, "post thread message", func(ctx context.Context) error {
			_, _, err := n.api.PostMessageContext(ctx, ref.Channel, opts...)
			return err
		})
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if err != nil {
			n.log.Error("Slack refused a thread message; skipped", "cycle", c.ID, "tenant", c.Tenant, "err", safeErr(err))
			continue
		}
		for _, f := range p.files {
			if err := n.attach(ctx, ref, c, f); err != nil {
				return err
			}
		}
	}
	if c.Report != nil && slices.ContainsFunc(batch, func(ev runbooks.Event) bool { return ev.Type == runbooks.EvReportDone }) {
		return n.shareReport(ctx, ref, c)
	}
	return nil
}

// attach uploads f into the thread; only the end of ctx is an error.
func (n *Notifier) attach(ctx context.Context, ref msgRef, c *runbooks.Cycle, f attachment) error {
	err := n.poster.post(ctx, ref.Channel, "upload "+f.Name, func(ctx context.Context) error {
		return upload(ctx, n.api, ref, f)
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		n.log.Error("Slack refused a file; skipped", "cycle", c.ID, "tenant", c.Tenant, "file", f.Name, "err", safeErr(err))
	}
	return nil
}
