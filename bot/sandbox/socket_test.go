package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/internal/testkit"
)

func TestSocketModeSlashCommandAndResponseURL(t *testing.T) {
	srv, opts := start(t, nil)
	sm := runSocket(t, srv, opts)
	hello := next(t, sm, socketmode.EventTypeHello)
	if hello.Request.ConnectionInfo.AppID != opts.AppID || hello.Request.NumConnections != 1 {
		t.Errorf("hello = %+v", hello.Request)
	}

	done := async(func() error { return srv.SlashCommand(ctxT(t), requester, channel, "start acme-cu") })
	evt := next(t, sm, socketmode.EventTypeSlashCommand)
	cmd, ok := evt.Data.(slack.SlashCommand)
	if !ok {
		t.Fatalf("event data is %T", evt.Data)
	}
	want := slack.SlashCommand{
		Token: opts.VerificationToken, TeamID: "T0PATCHGATE", TeamDomain: opts.Team.Domain,
		ChannelID: channel, ChannelName: "patch-cycles", UserID: requester, UserName: "rita.requester",
		Command: "/patch", Text: "start acme-cu", APIAppID: opts.AppID,
		ResponseURL: cmd.ResponseURL, TriggerID: cmd.TriggerID,
	}
	if cmd != want {
		t.Errorf("slash command =\n%+v\nwant\n%+v", cmd, want)
	}
	if !strings.HasPrefix(cmd.ResponseURL, srv.URL()+"/hooks/commands/") || strings.Count(cmd.TriggerID, ".") != 2 {
		t.Errorf("response_url %q, trigger_id %q", cmd.ResponseURL, cmd.TriggerID)
	}
	if !evt.Request.AcceptsResponsePayload || evt.Request.RetryAttempt != 0 || evt.Request.EnvelopeID == "" {
		t.Errorf("envelope = %+v", evt.Request)
	}
	if err := sm.Ack(*evt.Request); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("SlashCommand: %v", err)
	}
	acks := srv.Acks()
	if len(acks) != 1 || acks[0].EnvelopeID != evt.Request.EnvelopeID || acks[0].Type != "slash_commands" {
		t.Errorf("acks = %+v", acks)
	}
	if p := srv.Pending(); len(p) != 0 {
		t.Errorf("pending after ack: %+v", p)
	}

	// The bot answers through response_url the way slack-go does it.
	api := botClient(srv, opts)
	ctx := ctxT(t)
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("usage: /patch start <tenant>", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(cmd.ResponseURL, slack.ResponseTypeInChannel), slack.MsgOptionText("cycle started", false)); err != nil {
		t.Fatal(err)
	}
	eph := srv.Ephemerals(requester)
	if len(eph) != 1 || eph[0].Text != "usage: /patch start <tenant>" || eph[0].Via != "response_url" || eph[0].Channel != channel {
		t.Errorf("requester's ephemerals = %+v", eph)
	}
	if msgs := srv.Messages(channel); len(msgs) != 1 || msgs[0].Text != "cycle started" {
		t.Errorf("in_channel response = %+v", msgs)
	}
	if len(srv.Ephemerals(sre)) != 0 {
		t.Error("another user sees the requester's ephemeral")
	}
}

func TestSocketModeClickAndReplaceOriginal(t *testing.T) {
	srv, opts := start(t, nil)
	api := botClient(srv, opts)
	sm := runSocket(t, srv, opts)
	next(t, sm, socketmode.EventTypeHello)
	_, ts, err := api.PostMessageContext(ctxT(t), channel, slack.MsgOptionText("cycle", false), slack.MsgOptionBlocks(approvalBlocks("awaiting")...))
	if err != nil {
		t.Fatal(err)
	}

	done := async(func() error { return srv.Click(ctxT(t), sre, channel, ts, "approve", "") })
	evt := next(t, sm, socketmode.EventTypeInteractive)
	cb, ok := evt.Data.(slack.InteractionCallback)
	if !ok {
		t.Fatalf("event data is %T", evt.Data)
	}
	if err := sm.Ack(*evt.Request); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("Click: %v", err)
	}

	if cb.Type != slack.InteractionTypeBlockActions || cb.User.ID != sre || cb.User.Name != "sam.sre" ||
		cb.User.TeamID != "T0PATCHGATE" || cb.Team.ID != "T0PATCHGATE" || cb.APIAppID != opts.AppID ||
		cb.Channel.ID != channel || cb.Channel.Name != "patch-cycles" || cb.Token != opts.VerificationToken {
		t.Errorf("callback identity fields: %+v", cb)
	}
	if cb.Container.Type != "message" || cb.Container.MessageTs != ts || cb.Container.ChannelID != channel || cb.Container.IsEphemeral {
		t.Errorf("container = %+v", cb.Container)
	}
	if cb.Message.Timestamp != ts || len(cb.Message.Blocks.BlockSet) != 5 || cb.Message.User != opts.BotUserID {
		t.Errorf("message ts %q, %d blocks, user %q", cb.Message.Timestamp, len(cb.Message.Blocks.BlockSet), cb.Message.User)
	}
	if len(cb.ActionCallback.BlockActions) != 1 {
		t.Fatalf("actions = %+v", cb.ActionCallback)
	}
	a := cb.ActionCallback.BlockActions[0]
	stored := cb.Message.Blocks.BlockSet[4].(*slack.ActionBlock)
	if a.ActionID != "approve" || a.Value != "cyc-1|staging|v3" || a.Type != "button" || a.Text.Text != "Approve" ||
		a.BlockID == "" || a.BlockID != stored.BlockID || !tsShape.MatchString(a.ActionTs) {
		t.Errorf("action = %+v", a)
	}
	if cb.BlockActionState == nil || len(cb.BlockActionState.Values) != 0 {
		t.Errorf("state = %+v", cb.BlockActionState)
	}
	if !strings.HasPrefix(cb.ResponseURL, srv.URL()+"/hooks/actions/") || cb.TriggerID == "" {
		t.Errorf("response_url %q trigger %q", cb.ResponseURL, cb.TriggerID)
	}
	var raw map[string]any
	if err := json.Unmarshal(srv.Envelopes()[0].Payload, &raw); err != nil {
		t.Fatal(err)
	}
	if st := raw["actions"].([]any)[0].(map[string]any)["style"]; st != "primary" {
		t.Errorf("action style on the wire = %v", st)
	}

	// replace_original through the click's response_url edits the message.
	if _, _, err := botClient(srv, opts).PostMessageContext(ctxT(t), "", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("approved", false)); err != nil {
		t.Fatal(err)
	}
	m := srv.Messages(channel)[0]
	if m.Text != "approved" || m.Edited != 1 || len(m.Blocks) != 0 {
		t.Errorf("after replace_original: %+v", m)
	}
}

func TestClickRefusesWhatSlackCouldNotSend(t *testing.T) {
	srv, opts := start(t, nil)
	_, ts, err := botClient(srv, opts).PostMessageContext(ctxT(t), channel, slack.MsgOptionBlocks(approvalBlocks("x")...))
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	for name, err := range map[string]error{
		"no such button":     srv.Click(ctx, sre, channel, ts, "escalate", ""),
		"another value":      srv.Click(ctx, sre, channel, ts, "approve", "cyc-9|production|v1"),
		"no such message":    srv.Click(ctx, sre, channel, "1600000000.000001", "approve", ""),
		"unknown user":       srv.Click(ctx, "U0NOBODY", channel, ts, "approve", ""),
		"unregistered /slap": srv.SlashCommand(ctx, sre, channel, "/slap otto"),
	} {
		if err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
	if n := len(srv.Envelopes()); n != 0 {
		t.Errorf("%d envelopes sent for refused clicks", n)
	}
}

func TestUnackedEnvelopeIsResentAfterThreeSeconds(t *testing.T) {
	srv, opts := start(t, nil) // the real 3 s ack timeout
	conn, hello := rawSocket(t, srv, opts)
	if hello["type"] != "hello" {
		t.Fatalf("first frame = %v", hello)
	}
	_, ts, err := botClient(srv, opts).PostMessageContext(ctxT(t), channel, slack.MsgOptionBlocks(approvalBlocks("x")...))
	if err != nil {
		t.Fatal(err)
	}
	done := async(func() error { return srv.Click(ctxT(t), sre, channel, ts, "approve", "") })

	first := readFrame(t, conn, 2*time.Second)
	sent := time.Now()
	if first["type"] != "interactive" || first["retry_attempt"] != 0.0 || first["accepts_response_payload"] != false {
		t.Fatalf("first delivery = %v", first)
	}
	second := readFrame(t, conn, 5*time.Second)
	if waited := time.Since(sent); waited < 2500*time.Millisecond {
		t.Errorf("re-sent after %v, want ~3s", waited)
	}
	if second["envelope_id"] != first["envelope_id"] || second["retry_attempt"] != 1.0 || second["retry_reason"] != "timeout" {
		t.Fatalf("second delivery = %v", second)
	}
	if err := conn.WriteJSON(map[string]any{"envelope_id": second["envelope_id"]}); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("Click after the acked retry: %v", err)
	}
	if acks := srv.Acks(); len(acks) != 1 || acks[0].RetryAttempt != 1 {
		t.Errorf("acks = %+v", acks)
	}
}

func TestEnvelopeGivenUpAfterMaxRetries(t *testing.T) {
	srv, opts := start(t, func(o *sandbox.Options) { o.AckTimeout = 100 * time.Millisecond })
	conn, _ := rawSocket(t, srv, opts)
	done := async(func() error { return srv.SlashCommand(ctxT(t), sre, channel, "status") })
	for attempt := range 4 {
		f := readFrame(t, conn, 2*time.Second)
		if f["retry_attempt"] != float64(attempt) {
			t.Fatalf("delivery %d has retry_attempt %v", attempt, f["retry_attempt"])
		}
	}
	if err := wait(t, done); err == nil || !strings.Contains(err.Error(), "not acknowledged") {
		t.Fatalf("want a not-acknowledged error, got %v", err)
	}
	env := srv.Envelopes()
	if len(env) != 1 || !env[0].GaveUp || env[0].Deliveries != 4 || env[0].Acked {
		t.Errorf("envelopes = %+v", env)
	}
	// No fifth delivery.
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	var extra map[string]any
	if err := conn.ReadJSON(&extra); err == nil {
		t.Errorf("unexpected frame after giving up: %v", extra)
	}
}

func TestDropConnectionsMakesTheClientReconnect(t *testing.T) {
	srv, opts := start(t, nil)
	sm := runSocket(t, srv, opts)
	next(t, sm, socketmode.EventTypeHello)

	srv.DropConnections()
	// Sent while the client is between connections: it must be queued
	// and delivered on the new one.
	done := async(func() error { return srv.SlashCommand(ctxT(t), requester, channel, "status") })
	next(t, sm, socketmode.EventTypeHello)
	evt := next(t, sm, socketmode.EventTypeSlashCommand)
	if err := sm.Ack(*evt.Request); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	if n := srv.Connects(); n != 2 {
		t.Errorf("connects = %d, want 2", n)
	}
	if n := srv.Calls()["apps.connections.open"]; n != 2 {
		t.Errorf("apps.connections.open called %d times, want 2", n)
	}
	if evt.Request.RetryAttempt != 0 {
		t.Errorf("a queued envelope is a first delivery, got retry_attempt %d", evt.Request.RetryAttempt)
	}
}

func TestEnvelopesWaitForAClient(t *testing.T) {
	srv, opts := start(t, nil)
	done := async(func() error { return srv.SlashCommand(ctxT(t), requester, channel, "help") })
	testkit.Poll(10*time.Second, func() bool { return len(srv.Pending()) > 0 })
	if p := srv.Pending(); len(p) != 1 || p[0].Deliveries != 0 {
		t.Fatalf("pending = %+v", p)
	}
	sm := runSocket(t, srv, opts)
	evt := next(t, sm, socketmode.EventTypeSlashCommand)
	if err := sm.Ack(*evt.Request); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
}

func TestAckPayloadAnswersASlashCommand(t *testing.T) {
	srv, opts := start(t, nil)
	sm := runSocket(t, srv, opts)
	done := async(func() error { return srv.SlashCommand(ctxT(t), outsider, channel, "frobnicate") })
	evt := next(t, sm, socketmode.EventTypeSlashCommand)
	if err := sm.Ack(*evt.Request, map[string]any{"text": "unknown subcommand frobnicate; try /patch help"}); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	eph := srv.Ephemerals(outsider)
	if len(eph) != 1 || eph[0].Via != "ack" || !strings.Contains(eph[0].Text, "frobnicate") {
		t.Errorf("ephemerals = %+v", eph)
	}
}

func TestSlashCommandHonoursContext(t *testing.T) {
	srv, _ := start(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := srv.SlashCommand(ctx, requester, channel, "help")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want DeadlineExceeded with no client, got %v", err)
	}
	if len(srv.Pending()) != 1 {
		t.Error("the envelope should stay queued, as Slack keeps it")
	}
}

func TestEventsAPIEnvelope(t *testing.T) {
	srv, opts := start(t, nil)
	sm := runSocket(t, srv, opts)
	payload := json.RawMessage(`{"token":"x","team_id":"T0PATCHGATE","api_app_id":"A0PATCHGATE","type":"event_callback",
		"event":{"type":"app_mention","user":"U0SRE00001","text":"<@U0PATCHBOT> status","ts":"1700000000.000100","channel":"C0CYCLES01","event_ts":"1700000000.000100"},
		"event_id":"Ev1","event_time":1700000000}`)
	done := async(func() error { _, err := srv.SendEnvelope(ctxT(t), "events_api", payload); return err })
	evt := next(t, sm, socketmode.EventTypeEventsAPI)
	ev, ok := evt.Data.(slackevents.EventsAPIEvent)
	if !ok || ev.InnerEvent.Type != "app_mention" {
		t.Fatalf("event = %#v", evt.Data)
	}
	if err := sm.Ack(*evt.Request); err != nil {
		t.Fatal(err)
	}
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
}

func TestHandlerMountedElsewhere(t *testing.T) {
	opts := sandbox.DefaultOptions()
	srv := sandbox.New(opts)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
	})
	// The sandbox learns its URL from the first request.
	sm := socketmode.New(slack.New(opts.BotToken, slack.OptionAPIURL(hs.URL+"/api/"), slack.OptionAppLevelToken(opts.AppToken)))
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		_ = sm.RunContext(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-stopped
	})
	next(t, sm, socketmode.EventTypeHello)
	if srv.URL() != hs.URL {
		t.Fatalf("URL() = %q, want %q", srv.URL(), hs.URL)
	}
	done := async(func() error { return srv.SlashCommand(ctxT(t), sre, channel, "status") })
	evt := next(t, sm, socketmode.EventTypeSlashCommand)
	_ = sm.Ack(*evt.Request)
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	cmd := evt.Data.(slack.SlashCommand)
	if err := slack.PostWebhookContext(ctxT(t), cmd.ResponseURL, &slack.WebhookMessage{Text: "all quiet"}); err != nil {
		t.Fatal(err)
	}
	if e := srv.Ephemerals(sre); len(e) != 1 || e[0].Text != "all quiet" {
		t.Errorf("ephemerals = %+v", e)
	}
}
