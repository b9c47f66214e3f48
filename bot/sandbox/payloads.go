package sandbox

import "encoding/json"

// The payloads below are written out field by field from the shapes Slack
// documents and sends (not marshalled from slack-go's InteractionCallback,
// which would add dozens of fields Slack never sends for a button click).
// The tests decode them with slack-go to prove the names line up.

// slashPayload is a slash command over Socket Mode. Every value is a
// string, is_enterprise_install included, because Slack forwards the form
// it would have POSTed over HTTP.
type slashPayload struct {
	Token               string `json:"token"`
	TeamID              string `json:"team_id"`
	TeamDomain          string `json:"team_domain"`
	ChannelID           string `json:"channel_id"`
	ChannelName         string `json:"channel_name"`
	UserID              string `json:"user_id"`
	UserName            string `json:"user_name"`
	Command             string `json:"command"`
	Text                string `json:"text"`
	APIAppID            string `json:"api_app_id"`
	IsEnterpriseInstall string `json:"is_enterprise_install"`
	ResponseURL         string `json:"response_url"`
	TriggerID           string `json:"trigger_id"`
}

// blockActionsPayload is the interactive payload of a button click.
type blockActionsPayload struct {
	Type                string           `json:"type"`
	User                payloadUser      `json:"user"`
	APIAppID            string           `json:"api_app_id"`
	Token               string           `json:"token"`
	Container           payloadContainer `json:"container"`
	TriggerID           string           `json:"trigger_id"`
	Team                payloadTeam      `json:"team"`
	Enterprise          json.RawMessage  `json:"enterprise"`
	IsEnterpriseInstall bool             `json:"is_enterprise_install"`
	Channel             payloadChannel   `json:"channel"`
	Message             *wireMessage     `json:"message,omitempty"` // absent for ephemeral messages
	State               payloadState     `json:"state"`
	ResponseURL         string           `json:"response_url"`
	Actions             []payloadAction  `json:"actions"`
}

type payloadUser struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Name     string `json:"name"`
	TeamID   string `json:"team_id"`
}

type payloadContainer struct {
	Type        string `json:"type"`
	MessageTS   string `json:"message_ts"`
	ChannelID   string `json:"channel_id"`
	IsEphemeral bool   `json:"is_ephemeral"`
	ThreadTS    string `json:"thread_ts,omitempty"`
}

type payloadTeam struct {
	ID     string `json:"id"`
	Domain string `json:"domain"`
}

type payloadChannel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type payloadState struct {
	Values map[string]any `json:"values"`
}

type payloadAction struct {
	ActionID string      `json:"action_id"`
	BlockID  string      `json:"block_id"`
	Text     payloadText `json:"text"`
	Value    string      `json:"value,omitempty"`
	Style    string      `json:"style,omitempty"`
	Type     string      `json:"type"`
	ActionTS string      `json:"action_ts"`
}

type payloadText struct {
	Type  string `json:"type"`
	Text  string `json:"text"`
	Emoji bool   `json:"emoji"`
}
