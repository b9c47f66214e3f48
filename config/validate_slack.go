package config

import (
	"net"
	"net/url"
	"strings"
)

// checkSlack validates the chat section when there is one: each transport
// needs its own credential, and the channel must be an ID (names change).
func (d *decoder) checkSlack(s *Slack) {
	d.checkSecret("slack.bot_token", s.BotToken)
	d.checkSecret("slack.app_token", s.AppToken)
	d.checkSecret("slack.signing_secret", s.SigningSecret)
	if !s.Enabled() {
		return
	}
	if s.BotToken.IsZero() {
		d.at("slack.bot_token", "is required (env:SLACK_BOT_TOKEN or file:/path)")
	}
	if !strings.HasPrefix(s.Channel, "C") && !strings.HasPrefix(s.Channel, "G") {
		d.at("slack.channel", "%q is not a channel ID (C… or G…, from the channel's details)", s.Channel)
	}
	switch s.Transport {
	case SlackSocket:
		if s.AppToken.IsZero() {
			d.at("slack.app_token", "is required for Socket Mode (an app-level token with connections:write)")
		}
	case SlackHTTP:
		if s.SigningSecret.IsZero() {
			d.at("slack.signing_secret", "is required for the HTTP transport")
		}
		if _, _, err := net.SplitHostPort(s.Listen); err != nil {
			d.at("slack.listen", "%q is not host:port (e.g. :8080)", s.Listen)
		}
	default:
		d.at("slack.transport", "unknown transport %q%s", s.Transport, want(s.Transport, SlackSocket, SlackHTTP))
	}
	if s.APIURL != "" {
		if u, err := url.Parse(s.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			d.at("slack.api_url", "%q is not an http(s) URL", s.APIURL)
		} else if !strings.HasSuffix(s.APIURL, "/") {
			d.at("slack.api_url", "must end with / (slack-go appends method names to it)")
		}
	}
	d.notNegative("slack.update_interval", s.UpdateInterval)
}
