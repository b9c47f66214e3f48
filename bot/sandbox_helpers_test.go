package bot

import (
	"io"
	"log/slog"
	"testing"

	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/slack-go/slack"
)

// startSandbox starts a sandbox Slack with its default workspace, closed
// when the test ends, and a slack-go client holding its bot and app tokens
// (the app token lets the client open Socket Mode). channel is the first
// channel.
func startSandbox(t *testing.T) (sb *sandbox.Server, api *slack.Client, channel string, opts sandbox.Options) {
	t.Helper()
	opts = sandbox.DefaultOptions()
	opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	sb = sandbox.New(opts)
	if _, err := sb.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	api = slack.New(opts.BotToken, slack.OptionAPIURL(sb.APIURL()), slack.OptionAppLevelToken(opts.AppToken))
	return sb, api, opts.Channels[0].ID, opts
}
