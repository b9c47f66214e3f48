package sandbox_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/patchgate/patchgate/bot/sandbox"
)

const (
	channel   = "C0CYCLES01"
	requester = "U0REQUEST1"
	sre       = "U0SRE00001"
	outsider  = "U0OUTSIDE1"
)

// start runs a sandbox on a free port for the test's lifetime.
func start(t *testing.T, tweak func(*sandbox.Options)) (*sandbox.Server, sandbox.Options) {
	t.Helper()
	opts := sandbox.DefaultOptions()
	if tweak != nil {
		tweak(&opts)
	}
	srv := sandbox.New(opts)
	if _, err := srv.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("close sandbox: %v", err)
		}
	})
	return srv, opts
}

// botClient is the real slack-go client, configured as the bot would be.
func botClient(srv *sandbox.Server, opts sandbox.Options) *slack.Client {
	return slack.New(opts.BotToken, slack.OptionAPIURL(srv.APIURL()), slack.OptionAppLevelToken(opts.AppToken))
}

// runSocket starts the real socketmode client and returns its events.
func runSocket(t *testing.T, srv *sandbox.Server, opts sandbox.Options) *socketmode.Client {
	t.Helper()
	sm := socketmode.New(botClient(srv, opts))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = sm.RunContext(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return sm
}

// next waits for the first event of type typ, skipping others.
func next(t *testing.T, sm *socketmode.Client, typ socketmode.EventType) socketmode.Event {
	t.Helper()
	// Generous: slack-go reconnects with a backoff, and under -race on a
	// loaded two-core machine a reconnect has taken longer than 5 s.
	timeout := time.After(15 * time.Second)
	for {
		select {
		case evt := <-sm.Events:
			if evt.Type == typ {
				return evt
			}
		case <-timeout:
			t.Fatalf("no %s event within 15s", typ)
		}
	}
}

// async runs f in the background and returns its error on a channel; used
// for SlashCommand and Click, which block until the envelope is acked.
func async(f func() error) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- f() }()
	return ch
}

func wait(t *testing.T, ch <-chan error) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("call did not return within 10s")
		return nil
	}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// rawSocket opens a Socket Mode connection by hand, to look at frames as
// they travel, and returns it after reading hello.
func rawSocket(t *testing.T, srv *sandbox.Server, opts sandbox.Options) (*websocket.Conn, map[string]any) {
	t.Helper()
	_, wsURL, err := botClient(srv, opts).StartSocketModeContext(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	conn, resp, err := websocket.DefaultDialer.Dial(wsURL, http.Header{"Origin": {"https://api.slack.com"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	t.Cleanup(func() { conn.Close() })
	return conn, readFrame(t, conn, 5*time.Second)
}

func readFrame(t *testing.T, conn *websocket.Conn, within time.Duration) map[string]any {
	t.Helper()
	_ = conn.SetReadDeadline(time.Now().Add(within))
	var frame map[string]any
	if err := conn.ReadJSON(&frame); err != nil {
		t.Fatalf("read frame: %v", err)
	}
	return frame
}

// approvalBlocks is a cycle message like the bot's: header, fields,
// context, divider and two buttons (no block_ids: Slack fills them in).
func approvalBlocks(status string) []slack.Block {
	approve := slack.NewButtonBlockElement("approve", "cyc-1|staging|v3", slack.NewTextBlockObject("plain_text", "Approve", false, false))
	approve.Style = slack.StylePrimary
	reject := slack.NewButtonBlockElement("reject", "cyc-1|staging|v3", slack.NewTextBlockObject("plain_text", "Reject", false, false))
	reject.Style = slack.StyleDanger
	return []slack.Block{
		slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", "Patch cycle acme-cu", false, false)),
		slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*Status:* "+status+" — requested by <@U0REQUEST1>", false, false),
			[]*slack.TextBlockObject{
				slack.NewTextBlockObject("mrkdwn", "*AWS*\n812 hosts", false, false),
				slack.NewTextBlockObject("mrkdwn", "*Azure*\n120 hosts", false, false),
			}, nil),
		slack.NewContextBlock("", slack.NewTextBlockObject("mrkdwn", "approvers: <!subteam^S0SRE>", false, false)),
		slack.NewDividerBlock(),
		slack.NewActionBlock("", approve, reject),
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
