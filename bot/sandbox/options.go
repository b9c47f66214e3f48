package sandbox

import (
	"log/slog"
	"slices"
	"strings"
	"time"
)

// Options describe the workspace the sandbox pretends to be.
type Options struct {
	Team     Team
	Users    []User
	Channels []Channel
	Groups   []Group

	// Commands are the slash commands the app registered; "/patch" if empty.
	Commands []string

	// Scopes are the bot token's granted OAuth scopes: every bot-token
	// response carries them in X-OAuth-Scopes, and a method needing one not
	// granted answers missing_scope. Nil grants every scope a method here
	// needs (DefaultScopes).
	Scopes []string

	BotToken  string // xoxb-…: chat, files, users, usergroups, conversations
	AppToken  string // xapp-…: apps.connections.open only
	BotUserID string
	BotName   string // the bot user's handle; "patchgate"
	BotID     string
	AppID     string
	// VerificationToken is the deprecated "token" field Slack still puts in
	// slash command and interaction payloads.
	VerificationToken string

	// AckTimeout is how long an envelope may stay unacknowledged before it
	// is re-sent (Slack: 3 s); MaxRetries bounds the re-sends (Slack: 3).
	AckTimeout time.Duration
	MaxRetries int
	// PingInterval is how often the server pings each socket. slack-go's
	// socketmode client reconnects when it hears no ping for 30 s.
	PingInterval time.Duration

	// BaseURL is the URL clients reach the sandbox at, when it is served
	// through Handler rather than Start; Start sets it.
	BaseURL string

	// DiscardUploads counts each uploaded file's bytes without keeping
	// them (a file then downloads empty): a load harness measuring the
	// bot's memory must not count the workspace's copy of every report.
	DiscardUploads bool

	Now func() time.Time
	Log *slog.Logger
}

// Team is the workspace.
type Team struct {
	ID     string
	Name   string
	Domain string
}

// User is a person in the workspace. Role only labels the page's user
// switcher ("requester", "approver", …).
type User struct {
	ID   string
	Name string // the handle, e.g. "sam.sre"
	Real string // the real name, e.g. "Sam SRE"
	Role string
}

// Channel is a public channel; every user is a member, and the bot is
// unless BotAbsent (it was never invited).
type Channel struct {
	ID        string
	Name      string // without the leading '#'
	BotAbsent bool
}

// Group is a user group (what <!subteam^S…> mentions and
// usergroups.users.list answer about).
type Group struct {
	ID     string
	Handle string
	Users  []string
}

// DefaultOptions is the demo workspace: a requester, two approver groups
// (SRE and the change advisory board) and an outsider who may not approve,
// with fixed tokens (they guard nothing; they let tests and the demo
// configure the bot without reading them back).
func DefaultOptions() Options {
	return Options{
		Team: Team{ID: "T0PATCHGATE", Name: "Patchgate Demo", Domain: "patchgate-demo"},
		Users: []User{
			{ID: "U0REQUEST1", Name: "rita.requester", Real: "Rita Requester", Role: "requester"},
			{ID: "U0SRE00001", Name: "sam.sre", Real: "Sam SRE", Role: "approver (SRE)"},
			{ID: "U0CAB00001", Name: "cara.cab", Real: "Cara CAB", Role: "approver (CAB)"},
			{ID: "U0CAB00002", Name: "carl.cab", Real: "Carl CAB", Role: "approver (CAB)"},
			{ID: "U0OUTSIDE1", Name: "otto.outsider", Real: "Otto Outsider", Role: "outsider"},
		},
		Channels: []Channel{{ID: "C0CYCLES01", Name: "patch-cycles"}},
		Groups: []Group{
			{ID: "S0SRE", Handle: "sre", Users: []string{"U0SRE00001"}},
			{ID: "S0CHANGEADV", Handle: "change-advisory", Users: []string{"U0CAB00001", "U0CAB00002"}},
		},
		Commands:          []string{"/patch"},
		BotToken:          "xoxb-sandbox-bot-token",
		AppToken:          "xapp-1-sandbox-app-token",
		BotUserID:         "U0PATCHBOT",
		BotName:           "patchgate",
		BotID:             "B0PATCHBOT",
		AppID:             "A0PATCHGATE",
		VerificationToken: "sandbox-verification-token",
		AckTimeout:        3 * time.Second,
		MaxRetries:        3,
		PingInterval:      10 * time.Second,
	}
}

// withDefaults fills what a caller left empty, so tests can state only
// what they care about.
func (o Options) withDefaults() Options {
	d := DefaultOptions()
	if o.Team.ID == "" {
		o.Team = d.Team
	}
	if o.Team.Domain == "" {
		o.Team.Domain = strings.ToLower(o.Team.ID)
	}
	if o.Users == nil {
		o.Users = d.Users
	}
	if o.Channels == nil {
		o.Channels = d.Channels
	}
	// Copied so that trimming names never writes into the caller's slice.
	o.Channels = slices.Clone(o.Channels)
	for i := range o.Channels {
		o.Channels[i].Name = strings.TrimPrefix(o.Channels[i].Name, "#")
	}
	if o.Groups == nil {
		o.Groups = d.Groups
	}
	if o.Scopes == nil {
		o.Scopes = DefaultScopes()
	}
	if len(o.Commands) == 0 {
		o.Commands = d.Commands
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.BotToken, d.BotToken)
	def(&o.AppToken, d.AppToken)
	def(&o.BotUserID, d.BotUserID)
	def(&o.BotName, d.BotName)
	def(&o.BotID, d.BotID)
	def(&o.AppID, d.AppID)
	def(&o.VerificationToken, d.VerificationToken)
	if o.AckTimeout <= 0 {
		o.AckTimeout = d.AckTimeout
	}
	if o.MaxRetries <= 0 {
		o.MaxRetries = d.MaxRetries
	}
	if o.PingInterval <= 0 {
		o.PingInterval = d.PingInterval
	}
	o.BaseURL = strings.TrimSuffix(o.BaseURL, "/")
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return o
}
