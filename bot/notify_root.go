package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/internal/ctxsleep"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// ensureRoot makes sure the cycle's root message exists and w.ref names
// it; created reports whether this call posted it, rendered from c.
//
// Of several replicas only one posts: it first creates chat/<cycle> as a
// "posting" marker, posts, then records the message. The others wait for
// that record. A marker older than claimTTL is taken to be left by a
// replica that died while posting, and is taken over.
func (n *Notifier) ensureRoot(ctx context.Context, w *cycleWork, c *runbooks.Cycle) (created bool, err error) {
	if w.ref.TS != "" {
		return false, nil
	}
	for {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		rec, ver, found, err := loadChat(ctx, n.store, c.ID)
		if err != nil {
			return false, err
		}
		switch {
		case found && rec.TS != "":
			w.ref = msgRef{Channel: rec.Channel, TS: rec.TS}
			return false, nil
		case !found:
			rec = chatRecord{Channel: n.opts.Channel, Poster: n.replica, Since: time.Now().UTC()}
			ver, err = createChat(ctx, n.store, c.ID, rec)
		case rec.Poster == n.replica || time.Since(rec.Since) > n.claimTTL:
			if rec.Poster != n.replica {
				n.log.Warn("taking over posting a root message from a replica that seems gone",
					"cycle", c.ID, "tenant", c.Tenant, "poster", rec.Poster, "since", rec.Since)
			}
			rec.Poster, rec.Since = n.replica, time.Now().UTC()
			if rec.Channel == "" {
				rec.Channel = n.opts.Channel
			}
			ver, err = casChat(ctx, n.store, c.ID, rec, ver)
		default:
			// Another replica is posting it now.
			if err := ctxsleep.Sleep(ctx, n.pollWait); err != nil {
				return false, err
			}
			continue
		}
		if errors.Is(err, state.ErrConflict) {
			continue
		}
		if err != nil {
			return false, err
		}
		return true, n.postRoot(ctx, w, c, rec, ver)
	}
}

// postRoot posts the root message while holding the marker at version
// ver, then records where it is.
func (n *Notifier) postRoot(ctx context.Context, w *cycleWork, c *runbooks.Cycle, rec chatRecord, ver int64) error {
	_, closed := n.snapshot(w)
	var channel, ts string
	err := n.poster.post(ctx, rec.Channel, "post root message", func(ctx context.Context) error {
		msg := renderRoot(c, n.view(c, closed))
		var err error
		channel, ts, err = n.api.PostMessageContext(ctx, rec.Channel, msg.options()...)
		return err
	})
	if err != nil {
		// Drop the marker so a later attempt, here or on another replica,
		// posts it rather than waiting for the marker to go stale.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if derr := n.store.Delete(dctx, chatKey(c.ID), ver); derr != nil && !errors.Is(derr, state.ErrConflict) {
			n.log.Warn("drop root message marker", "cycle", c.ID, "err", derr)
		}
		return fmt.Errorf("post root message of %s in %s: %w", c.ID, rec.Channel, err)
	}
	if channel == "" {
		channel = rec.Channel
	}
	w.ref = msgRef{Channel: channel, TS: ts}
	n.log.Info("posted cycle message", "cycle", c.ID, "tenant", c.Tenant, "channel", channel, "ts", ts)
	// Until this is stored the other replicas wait, so keep at it, up to
	// maxRecordAttempts; after that the marker goes stale and another
	// replica (or this one, on the cycle's next change) takes over.
	for attempt := 1; ; attempt++ {
		err = modifyChat(ctx, n.store, c.ID, func(r *chatRecord) bool {
			if r.TS != "" {
				n.log.Warn("another replica posted this cycle's root message too; keeping theirs",
					"cycle", c.ID, "theirs", r.TS, "ours", ts)
				w.ref = msgRef{Channel: r.Channel, TS: r.TS}
				return false
			}
			r.Channel, r.TS, r.Poster, r.Since = channel, ts, "", time.Time{}
			r.Shown, r.ShownBy = c.Version, n.replica
			return true
		})
		n.mu.Lock()
		w.shownKey = updateKey(c)
		n.mu.Unlock()
		if err == nil || ctx.Err() != nil {
			return err
		}
		if attempt >= maxRecordAttempts {
			n.log.Error("could not record the root message; gave up", "cycle", c.ID, "tenant", c.Tenant,
				"ts", ts, "attempts", attempt, "err", safeErr(err))
			return fmt.Errorf("record root message of %s: gave up after %d attempts: %w", c.ID, attempt, err)
		}
		if serr := ctxsleep.Sleep(ctx, n.poster.retry.backoff(attempt-1)); serr != nil {
			return err
		}
	}
}

// maxRecordAttempts is how many times the chat record is written after a
// post before the notifier gives up on it: an unreachable store must not
// hold a worker, and with it shutdown, for ever.
const maxRecordAttempts = 10

// queueUpdate queues an update of w's root message. The rendering happens
// when the update goes out, from the newest cycle seen by then.
func (n *Notifier) queueUpdate(w *cycleWork) {
	ref := w.ref
	n.poster.update(ref.Channel, ref.TS, "update root message", func(ctx context.Context) error {
		n.mu.Lock()
		c, closed, shown := w.latest, w.closed, w.shownKey
		n.mu.Unlock()
		key := updateKey(c)
		if key == shown || passing(c) {
			return nil // shown already, or about to change again
		}
		ok, err := n.claimShown(ctx, c)
		if err != nil || !ok {
			return err
		}
		msg := renderRoot(c, n.view(c, closed))
		if _, _, _, err := n.api.UpdateMessageContext(ctx, ref.Channel, ref.TS, msg.options()...); err != nil {
			return fmt.Errorf("update root message of %s: %w", c.ID, err)
		}
		n.mu.Lock()
		w.shownKey = key
		n.mu.Unlock()
		return nil
	})
}

// claimShown records that the root message is about to show c's version,
// unless a newer version is shown already, or the same one by another
// replica; then it reports false and the update is not sent.
func (n *Notifier) claimShown(ctx context.Context, c *runbooks.Cycle) (bool, error) {
	if c.Version == 0 {
		return true, nil // a cycle that never was stored: nothing to order by
	}
	send := false
	err := modifyChat(ctx, n.store, c.ID, func(r *chatRecord) bool {
		switch {
		case r.Shown > c.Version, r.Shown == c.Version && r.ShownBy != n.replica:
			send = false
			return false
		case r.Shown == c.Version:
			send = true
			return false
		}
		r.Shown, r.ShownBy = c.Version, n.replica
		send = true
		return true
	})
	return send, err
}
