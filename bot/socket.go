package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
	"golang.org/x/sync/errgroup"
)

// RunSocketMode serves Slack over Socket Mode until ctx ends: it runs the
// client (slack-go connects, and reconnects when Slack asks it to or the
// connection dies), acknowledges every envelope at once, and hands the work
// to the pool, which it also runs (do not call Run as well). When ctx ends
// it stops taking envelopes and lets queued work finish within
// DrainTimeout. It returns an error only if the client gave up.
func (h *Handler) RunSocketMode(ctx context.Context, client *socketmode.Client) error {
	if !h.running.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	g, gctx := errgroup.WithContext(ctx)
	poolDone := make(chan struct{})
	g.Go(func() error {
		defer close(poolDone)
		h.pool.run(h.opts.Workers, h.opts.DrainTimeout, gctx.Done())
		return nil
	})
	defer h.connected.Store(false)
	g.Go(func() error {
		err := client.RunContext(gctx)
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("socket mode: %w", err)
	})
	g.Go(func() error {
		for {
			select {
			case <-gctx.Done():
				return nil
			case ev, ok := <-client.Events:
				if !ok {
					return nil
				}
				h.onSocketEvent(gctx, client, ev)
			}
		}
	})
	return g.Wait()
}

// Connected reports whether a Socket Mode session is up: slack-go said
// connected (or Slack said hello) and has not since reported connecting
// again, a disconnect or a connection error. Readiness probes use it.
func (h *Handler) Connected() bool { return h.connected.Load() }

// onSocketEvent acknowledges an envelope, then queues its work. The queue
// may be full: waiting here holds the next envelope back (slack-go buffers
// them) rather than dropping acknowledged work.
func (h *Handler) onSocketEvent(ctx context.Context, client *socketmode.Client, ev socketmode.Event) {
	switch ev.Type {
	case socketmode.EventTypeSlashCommand, socketmode.EventTypeInteractive, socketmode.EventTypeEventsAPI:
	case socketmode.EventTypeConnecting, socketmode.EventTypeConnected, socketmode.EventTypeHello:
		h.connected.Store(ev.Type != socketmode.EventTypeConnecting)
		h.log.Debug("Socket Mode", "event", string(ev.Type))
		return
	case socketmode.EventTypeDisconnect:
		h.connected.Store(false)
		h.log.Info("Socket Mode: Slack asked to reconnect")
		return
	case socketmode.EventTypeConnectionError, socketmode.EventTypeInvalidAuth:
		h.connected.Store(false)
		h.log.Warn("Socket Mode", "event", string(ev.Type), "detail", socketErrDetail(ev.Data))
		return
	default:
		h.log.Warn("Socket Mode", "event", string(ev.Type), "detail", socketErrDetail(ev.Data))
		return
	}
	if ev.Request == nil {
		return
	}
	envID := ev.Request.EnvelopeID
	if err := client.AckCtx(ctx, envID, nil); err != nil {
		h.log.Warn("Socket Mode ack", "envelope", envID, "err", err)
	}
	var err error
	switch data := ev.Data.(type) {
	case slack.SlashCommand:
		to := Target{ResponseURL: data.ResponseURL, ChannelID: data.ChannelID, UserID: data.UserID}
		keys := []string{envelopeKey(envID), commandKey(data.TeamID, data.TriggerID, ev.Request.Payload)}
		err = h.enqueue(ctx, keys, to, func(ctx context.Context) string { return h.runCommand(ctx, data) })
	case slack.InteractionCallback:
		if s, ok := submissionOf(data); ok {
			to := Target{ChannelID: s.Meta.Channel, UserID: s.Actor}
			err = h.enqueue(ctx, []string{envelopeKey(envID), clickKey(s.Team, s.ID)}, to,
				func(ctx context.Context) string { return h.dismissSubmitted(ctx, s) })
		}
		for i, c := range clicksOf(data) {
			// One envelope key per action, so the second button of one
			// envelope is not taken for a copy of the first.
			keys := []string{envelopeKey(fmt.Sprintf("%s/%d", envID, i)), clickKey(c.Team, c.ID)}
			if err = h.enqueue(ctx, keys, c.Target, func(ctx context.Context) string { return h.decide(ctx, c) }); err != nil {
				break
			}
		}
		for i, c := range dailyClicksOf(data) {
			if err != nil {
				break
			}
			keys := []string{envelopeKey(fmt.Sprintf("%s/h%d", envID, i)), clickKey(c.Team, c.ID)}
			err = h.enqueue(ctx, keys, c.Target, func(ctx context.Context) string { return h.dailyClick(ctx, c) })
		}
	default:
		// Events API envelopes: the app subscribes to none yet.
		h.log.Debug("Socket Mode event ignored", "type", string(ev.Type))
	}
	if err != nil && !errors.Is(err, context.Canceled) {
		h.log.Warn("Socket Mode work not queued", "envelope", envID, "err", err)
	}
}

// socketErrDetail describes a client-side Socket Mode event for the log.
func socketErrDetail(data any) string {
	switch d := data.(type) {
	case *socketmode.ErrorBadMessage:
		return fmt.Sprint("bad message: ", d.Cause)
	case *socketmode.ErrorWriteFailed:
		return fmt.Sprint("write failed: ", d.Cause)
	case error:
		return d.Error()
	}
	return fmt.Sprintf("%T", data)
}
