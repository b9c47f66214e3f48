// Package bot is patchgate's Slack adapter. It shows cycles to people (one
// root message per cycle in the cycles channel, updated in place, details
// in its thread; see Notifier, which implements runbooks.Chat) and takes
// their commands and clicks (the /patch slash command and the interactive
// buttons, over Socket Mode or HTTP; see Handler), handing decisions to the
// engine. The Slack client is always passed in, so tests point it at the
// local sandbox (bot/sandbox) or an httptest server.
package bot

import (
	"context"

	"github.com/slack-go/slack"
)

// API is the part of the slack-go client the bot calls. *slack.Client
// implements it.
type API interface {
	AuthTestContext(ctx context.Context) (*slack.AuthTestResponse, error)
	PostMessageContext(ctx context.Context, channelID string, options ...slack.MsgOption) (string, string, error)
	UpdateMessageContext(ctx context.Context, channelID, timestamp string, options ...slack.MsgOption) (string, string, string, error)
	PostEphemeralContext(ctx context.Context, channelID, userID string, options ...slack.MsgOption) (string, error)
	UploadFileContext(ctx context.Context, params slack.UploadFileParameters) (*slack.FileSummary, error)
	GetUserGroupMembersContext(ctx context.Context, userGroup string, options ...slack.GetUserGroupMembersOption) ([]string, error)
	GetUserInfoContext(ctx context.Context, user string, options ...slack.GetUserInfoOption) (*slack.User, error)
}

var _ API = (*slack.Client)(nil)
