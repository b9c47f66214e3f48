package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"
)

// Target is who a reply goes to: the person who ran a command or clicked a
// button, through the response_url their payload carried, or (when Slack
// sent none) as an ephemeral message in the channel.
type Target struct {
	ResponseURL string
	ChannelID   string
	UserID      string
}

// Replier sends a reply only the person in Target sees.
type Replier interface {
	ReplyEphemeral(ctx context.Context, to Target, text string) error
}

// ResponseURLReplier posts ephemeral replies to a payload's response_url.
// The URL comes from the (verified) payload, so nothing about Slack's host
// is built in; Client is whatever the caller configured (timeouts, proxy).
// When a payload has no response_url and API is set, it falls back to
// chat.postEphemeral.
type ResponseURLReplier struct {
	Client *http.Client
	API    API
}

var _ Replier = (*ResponseURLReplier)(nil)

// NewResponseURLReplier returns a replier that posts with client (nil: a
// client with a 10 s timeout) and falls back to api (may be nil).
func NewResponseURLReplier(client *http.Client, api API) *ResponseURLReplier {
	if client == nil {
		client = &http.Client{Timeout: defaultReplyTimeout}
	}
	return &ResponseURLReplier{Client: client, API: api}
}

// ephemeralResponse is the body Slack's response_url takes.
type ephemeralResponse struct {
	ResponseType    string `json:"response_type"`
	Text            string `json:"text"`
	ReplaceOriginal bool   `json:"replace_original"`
}

// ErrNoReplyTarget: the payload carried neither a response_url nor a channel
// and user to answer in.
var ErrNoReplyTarget = errors.New("no response_url and no channel to reply in")

// ReplyEphemeral sends text to the person in to.
func (r *ResponseURLReplier) ReplyEphemeral(ctx context.Context, to Target, text string) error {
	if to.ResponseURL == "" {
		if r.API == nil || to.ChannelID == "" || to.UserID == "" {
			return ErrNoReplyTarget
		}
		if _, err := r.API.PostEphemeralContext(ctx, to.ChannelID, to.UserID, slack.MsgOptionText(text, false)); err != nil {
			return fmt.Errorf("post ephemeral reply in %s: %w", to.ChannelID, err)
		}
		return nil
	}
	u, err := url.Parse(to.ResponseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return errors.New("response_url is not an http(s) URL")
	}
	// The response_url embeds a token: errors name only its host.
	where := u.Scheme + "://" + u.Host
	body, err := json.Marshal(ephemeralResponse{ResponseType: "ephemeral", Text: text})
	if err != nil {
		return fmt.Errorf("encode reply: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, to.ResponseURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("build reply to %s", where)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := r.Client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // drop the URL and its token
		}
		return fmt.Errorf("post reply to %s: %w", where, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("post reply to %s: status %s", where, resp.Status)
	}
	return nil
}
