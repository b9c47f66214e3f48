package sandbox_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/bot/sandbox"
)

var tsShape = regexp.MustCompile(`^\d{10}\.\d{6}$`)

func TestPostReplyUpdateEphemeralRoundTrip(t *testing.T) {
	srv, opts := start(t, nil)
	api := botClient(srv, opts)
	ctx := ctxT(t)

	// The channel may be named instead of given by id, as in Slack.
	ch, ts, err := api.PostMessageContext(ctx, "#patch-cycles", slack.MsgOptionText("cycle acme-cu", false), slack.MsgOptionBlocks(approvalBlocks("awaiting approval")...))
	if err != nil {
		t.Fatal(err)
	}
	if ch != channel || !tsShape.MatchString(ts) {
		t.Fatalf("post answered channel %q ts %q", ch, ts)
	}
	_, replyTS, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText("preflight: inventory ok", false), slack.MsgOptionTS(ts))
	if err != nil {
		t.Fatal(err)
	}
	if replyTS <= ts {
		t.Fatalf("reply ts %s not after parent %s", replyTS, ts)
	}
	if _, _, _, err := api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionBlocks(approvalBlocks("approved by <@U0SRE00001> (1/2)")...)); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeralContext(ctx, channel, outsider, slack.MsgOptionText("you are not an approver", false)); err != nil {
		t.Fatal(err)
	}

	msgs := srv.Messages(channel)
	if len(msgs) != 1 {
		t.Fatalf("want 1 top-level message, got %d", len(msgs))
	}
	m := msgs[0]
	if m.TS != ts || m.User != opts.BotUserID || m.Edited != 1 || m.Text != "cycle acme-cu" {
		t.Errorf("root message = %+v", m)
	}
	if len(m.Replies) != 1 || m.Replies[0].TS != replyTS || m.Replies[0].ThreadTS != ts {
		t.Errorf("replies = %+v", m.Replies)
	}
	// The stored blocks are the updated ones, decodable by slack-go, with
	// the block_ids Slack would have generated.
	var blocks slack.Blocks
	if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
		t.Fatal(err)
	}
	if len(blocks.BlockSet) != 5 {
		t.Fatalf("want 5 blocks, got %d", len(blocks.BlockSet))
	}
	sec := blocks.BlockSet[1].(*slack.SectionBlock)
	if !strings.Contains(sec.Text.Text, "approved by") || sec.BlockID == "" {
		t.Errorf("section after update = %+v", sec)
	}
	if got := srv.Ephemerals(outsider); len(got) != 1 || got[0].Via != "chat.postEphemeral" || got[0].Channel != channel {
		t.Errorf("outsider's ephemerals = %+v", got)
	}
	if got := srv.Ephemerals(requester); len(got) != 0 {
		t.Errorf("requester sees someone else's ephemeral: %+v", got)
	}
	calls := srv.Calls()
	if calls["chat.postMessage"] != 2 || calls["chat.update"] != 1 || calls["chat.postEphemeral"] != 1 {
		t.Errorf("calls = %v", calls)
	}
}

func TestTimestampsStrictlyIncreaseOnAFrozenClock(t *testing.T) {
	frozen := time.Unix(1700000000, 0)
	srv, opts := start(t, func(o *sandbox.Options) { o.Now = func() time.Time { return frozen } })
	api := botClient(srv, opts)
	var prev string
	for i := range 3 {
		_, ts, err := api.PostMessageContext(ctxT(t), channel, slack.MsgOptionText("x", false))
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"1700000000.000000", "1700000000.000001", "1700000000.000002"}[i]; ts != want || ts <= prev {
			t.Fatalf("post %d: ts %s, want %s", i, ts, want)
		}
		prev = ts
	}
}

func TestUploadV2IntoThread(t *testing.T) {
	srv, opts := start(t, nil)
	api := botClient(srv, opts)
	ctx := ctxT(t)
	_, root, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText("cycle", false))
	if err != nil {
		t.Fatal(err)
	}
	pdf := bytes.Repeat([]byte("%PDF-1.7 evidence "), 100)
	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: "cyc-1-evidence.pdf", FileSize: len(pdf), Reader: bytes.NewReader(pdf),
		Channel: channel, ThreadTimestamp: root, Title: "Compliance evidence",
	})
	if err != nil {
		t.Fatal(err)
	}
	files := srv.Files()
	if len(files) != 1 {
		t.Fatalf("want 1 file, got %d", len(files))
	}
	f := files[0]
	if f.ID != sum.ID || sum.Title != "Compliance evidence" || f.Name != "cyc-1-evidence.pdf" ||
		f.Channel != channel || f.ThreadTS != root || !bytes.Equal(f.Content, pdf) {
		t.Errorf("file = %+v (summary %+v)", f, sum)
	}
	replies := srv.Messages(channel)[0].Replies
	if len(replies) != 1 || len(replies[0].Files) != 1 || replies[0].Files[0].ID != f.ID {
		t.Fatalf("thread should hold one message sharing the file, got %+v", replies)
	}
	calls := srv.Calls()
	for _, m := range []string{"files.getUploadURLExternal", "upload", "files.completeUploadExternal"} {
		if calls[m] != 1 {
			t.Errorf("%s called %d times, want 1 (calls %v)", m, calls[m], calls)
		}
	}
	// The download link serves the bytes.
	resp, err := http.Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(got, pdf) || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("download: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
	}
}

func TestUploadRefusesAShortBody(t *testing.T) {
	srv, opts := start(t, nil)
	// A client that declares more bytes than it sends is refused at
	// completion, not silently truncated.
	_, err := botClient(srv, opts).UploadFileContext(ctxT(t), slack.UploadFileParameters{
		Filename: "hosts.csv", FileSize: 100, Reader: strings.NewReader("host,ok\n"), Channel: channel,
	})
	if err == nil || !strings.Contains(err.Error(), "invalid_arguments") {
		t.Fatalf("want invalid_arguments, got %v", err)
	}
	if len(srv.Files()) != 0 || len(srv.Messages(channel)) != 0 {
		t.Error("a refused upload was shared")
	}
}

func TestTokensAreChecked(t *testing.T) {
	srv, opts := start(t, nil)
	ctx := ctxT(t)
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"unknown bot token", func() error {
			_, _, err := slack.New("xoxb-wrong", slack.OptionAPIURL(srv.APIURL())).PostMessageContext(ctx, channel, slack.MsgOptionText("x", false))
			return err
		}, "invalid_auth"},
		{"app token on a bot method", func() error {
			_, _, err := slack.New(opts.AppToken, slack.OptionAPIURL(srv.APIURL())).PostMessageContext(ctx, channel, slack.MsgOptionText("x", false))
			return err
		}, "not_allowed_token_type"},
		{"bot token opening a socket", func() error {
			_, _, err := slack.New(opts.BotToken, slack.OptionAPIURL(srv.APIURL()), slack.OptionAppLevelToken(opts.BotToken)).StartSocketModeContext(ctx)
			return err
		}, "not_allowed_token_type"},
		{"unknown app token", func() error {
			_, _, err := slack.New(opts.BotToken, slack.OptionAPIURL(srv.APIURL()), slack.OptionAppLevelToken("xapp-wrong")).StartSocketModeContext(ctx)
			return err
		}, "invalid_auth"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != tc.want {
				t.Fatalf("want %s, got %v", tc.want, err)
			}
		})
	}
	if len(srv.Messages(channel)) != 0 {
		t.Error("a refused call posted a message")
	}
	at, err := botClient(srv, opts).AuthTestContext(ctx)
	if err != nil || at.UserID != opts.BotUserID || at.TeamID != "T0PATCHGATE" || at.BotID != opts.BotID {
		t.Errorf("auth.test = %+v, %v", at, err)
	}
}

func TestUnknownMethod(t *testing.T) {
	srv, _ := start(t, nil)
	resp, err := http.Post(srv.APIURL()+"chat.postMessages", "application/x-www-form-urlencoded", strings.NewReader("channel=C0CYCLES01"))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || body["ok"] != false || body["error"] != "unknown_method" {
		t.Errorf("got %d %v", resp.StatusCode, body)
	}
}

func TestInjectedFailures(t *testing.T) {
	srv, opts := start(t, nil)
	api := botClient(srv, opts)
	ctx := ctxT(t)
	srv.FailNext("chat.postMessage", http.StatusTooManyRequests, 1500*time.Millisecond)
	srv.FailNext("chat.postMessage", http.StatusInternalServerError, 0)

	_, _, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText("one", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("want RateLimitedError{2s} (1.5s rounds up), got %#v", err)
	}
	_, _, err = api.PostMessageContext(ctx, channel, slack.MsgOptionText("two", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 500 {
		t.Fatalf("want StatusCodeError 500, got %#v", err)
	}
	// Faults are per method: other methods were never affected.
	if _, err := api.PostEphemeralContext(ctx, channel, sre, slack.MsgOptionText("e", false)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText("three", false)); err != nil {
		t.Fatalf("after the faults: %v", err)
	}
	if msgs := srv.Messages(channel); len(msgs) != 1 || msgs[0].Text != "three" {
		t.Errorf("only the third post should exist, got %+v", msgs)
	}
	if n := srv.Calls()["chat.postMessage"]; n != 3 {
		t.Errorf("chat.postMessage calls = %d, want 3 (refused ones count)", n)
	}
}

func TestSlackErrors(t *testing.T) {
	srv, opts := start(t, nil)
	api := botClient(srv, opts)
	ctx := ctxT(t)
	_, root, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText("root", false))
	if err != nil {
		t.Fatal(err)
	}
	longHeader := slack.NewHeaderBlock(slack.NewTextBlockObject("plain_text", strings.Repeat("x", 151), false, false))
	dup := slack.NewActionBlock("a",
		slack.NewButtonBlockElement("approve", "1", slack.NewTextBlockObject("plain_text", "A", false, false)),
		slack.NewButtonBlockElement("approve", "2", slack.NewTextBlockObject("plain_text", "B", false, false)))
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"unknown channel", func() error {
			_, _, err := api.PostMessageContext(ctx, "C0NOPE", slack.MsgOptionText("x", false))
			return err
		}, "channel_not_found"},
		{"no text, no blocks", func() error {
			_, _, err := api.PostMessageContext(ctx, channel)
			return err
		}, "no_text"},
		{"header over 150 chars", func() error {
			_, _, err := api.PostMessageContext(ctx, channel, slack.MsgOptionBlocks(longHeader))
			return err
		}, "invalid_blocks"},
		{"duplicate action_id in a block", func() error {
			_, _, err := api.PostMessageContext(ctx, channel, slack.MsgOptionBlocks(dup))
			return err
		}, "invalid_blocks"},
		{"update of an unknown ts", func() error {
			_, _, _, err := api.UpdateMessageContext(ctx, channel, "1600000000.000001", slack.MsgOptionText("x", false))
			return err
		}, "message_not_found"},
		{"reply to a missing thread", func() error {
			_, _, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText("x", false), slack.MsgOptionTS("1600000000.000001"))
			return err
		}, "thread_not_found"},
		{"ephemeral to a stranger", func() error {
			_, err := api.PostEphemeralContext(ctx, channel, "U0NOBODY", slack.MsgOptionText("x", false))
			return err
		}, "user_not_in_channel"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var se slack.SlackErrorResponse
			if !errors.As(err, &se) || se.Err != tc.want {
				t.Fatalf("want %s, got %v", tc.want, err)
			}
			if tc.want == "invalid_blocks" && len(se.Errors) == 0 {
				t.Error("invalid_blocks should say which field, in errors")
			}
		})
	}
	if msgs := srv.Messages(channel); len(msgs) != 1 || msgs[0].TS != root || len(msgs[0].Replies) != 0 {
		t.Errorf("refused calls changed the channel: %+v", msgs)
	}
}

func TestDirectory(t *testing.T) {
	srv, opts := start(t, nil)
	api := botClient(srv, opts)
	ctx := ctxT(t)
	u, err := api.GetUserInfoContext(ctx, sre)
	if err != nil || u.Name != "sam.sre" || u.TeamID != "T0PATCHGATE" || u.IsBot {
		t.Errorf("users.info = %+v, %v", u, err)
	}
	members, err := api.GetUserGroupMembersContext(ctx, "S0CHANGEADV")
	if err != nil || strings.Join(members, ",") != "U0CAB00001,U0CAB00002" {
		t.Errorf("usergroups.users.list = %v, %v", members, err)
	}
	if _, err := api.GetUserGroupMembersContext(ctx, "S0NOPE"); err == nil || err.Error() != "no_such_subteam" {
		t.Errorf("unknown group: %v", err)
	}
	if _, err := api.GetUserInfoContext(ctx, "U0NOBODY"); err == nil || err.Error() != "user_not_found" {
		t.Errorf("unknown user: %v", err)
	}
	c, err := api.GetConversationInfoContext(ctx, &slack.GetConversationInfoInput{ChannelID: channel})
	if err != nil || c.Name != "patch-cycles" || !c.IsChannel {
		t.Errorf("conversations.info = %+v, %v", c, err)
	}
}

func TestUploadURLFollowsTheHostTheClientUsed(t *testing.T) {
	srv, opts := start(t, nil)
	// slack-go sends its token only to an upload URL on its API host, so
	// the sandbox must answer with the host the client called.
	api := slack.New(opts.BotToken, slack.OptionAPIURL(strings.Replace(srv.APIURL(), "127.0.0.1", "localhost", 1)))
	data := []byte("a,b\n")
	if _, err := api.UploadFileContext(ctxT(t), slack.UploadFileParameters{Filename: "x.csv", FileSize: len(data), Reader: bytes.NewReader(data), Channel: channel}); err != nil {
		t.Fatal(err)
	}
	if f := srv.Files(); len(f) != 1 || !bytes.Equal(f[0].Content, data) {
		t.Errorf("files = %+v", f)
	}
}
