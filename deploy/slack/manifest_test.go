package slackmanifest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// manifest is the part of Slack's app manifest schema the bot depends on.
type manifest struct {
	DisplayInformation struct {
		Name string `yaml:"name"`
	} `yaml:"display_information"`
	Features struct {
		BotUser struct {
			DisplayName string `yaml:"display_name"`
		} `yaml:"bot_user"`
		SlashCommands []struct {
			Command   string `yaml:"command"`
			URL       string `yaml:"url"`
			UsageHint string `yaml:"usage_hint"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot  []string `yaml:"bot"`
			User []string `yaml:"user"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		EventSubscriptions *struct{} `yaml:"event_subscriptions"`
		Interactivity      struct {
			IsEnabled  bool   `yaml:"is_enabled"`
			RequestURL string `yaml:"request_url"`
		} `yaml:"interactivity"`
		OrgDeployEnabled  bool `yaml:"org_deploy_enabled"`
		SocketModeEnabled bool `yaml:"socket_mode_enabled"`
	} `yaml:"settings"`
}

func load(t *testing.T) manifest {
	t.Helper()
	b, err := os.ReadFile("manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m manifest
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(false) // the manifest has keys this test does not model
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("manifest.yaml: %v", err)
	}
	return m
}

// webAPIScopes is the bot scope each slack-go method the bot calls needs
// (Slack's method reference). auth.test needs none. A method the bot starts
// calling that is missing here fails TestScopesMatchCode until its scope is
// written down, so the manifest never lags the code.
var webAPIScopes = map[string][]string{
	"AuthTestContext":            nil,                 // auth.test
	"PostMessageContext":         {"chat:write"},      // chat.postMessage
	"UpdateMessageContext":       {"chat:write"},      // chat.update
	"PostEphemeralContext":       {"chat:write"},      // chat.postEphemeral
	"UploadFileContext":          {"files:write"},     // files.getUploadURLExternal + completeUploadExternal
	"GetUserGroupMembersContext": {"usergroups:read"}, // usergroups.users.list
	"OpenViewContext":            nil,                 // views.open (the dismiss modal) needs no scope
	// conversations.info (patchgate doctor: is the bot in the channel?):
	// channels:read for a public channel, groups:read for a private one.
	// No call the other scopes allow tells membership without posting.
	"GetConversationInfoContext": {"channels:read", "groups:read"},
	// users.info: the display name needs users:read, the profile's email
	// users:read.email (without it Slack leaves the email out).
	"GetUserInfoContext": {"users:read", "users:read.email"},
}

// notWebAPI are ...Context calls in bot/ that are not Slack Web API
// methods with a bot scope.
var notWebAPI = map[string]string{
	"RunContext":            "socketmode.Client: apps.connections.open with the app-level token (connections:write)",
	"NewRequestWithContext": "net/http: POST to a payload's response_url, which needs no scope",
	"WithContext":           "errgroup",
}

var callRe = regexp.MustCompile(`\.([A-Z][A-Za-z]*Context)\(`)

// calledMethods scans the bot's non-test sources for ...Context calls.
func calledMethods(t *testing.T) map[string][]string {
	t.Helper()
	files, err := filepath.Glob("../../bot/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bot sources: %v", err)
	}
	calls := map[string][]string{} // method → files
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range callRe.FindAllStringSubmatch(string(b), -1) {
			calls[m[1]] = append(calls[m[1]], filepath.Base(f))
		}
	}
	return calls
}

func TestScopesMatchCode(t *testing.T) {
	m := load(t)
	calls := calledMethods(t)
	want := map[string]bool{}
	for method, where := range calls {
		if _, ok := notWebAPI[method]; ok {
			continue
		}
		scopes, ok := webAPIScopes[method]
		if !ok {
			t.Errorf("bot calls %s (%s): add its Slack scope to webAPIScopes and deploy/slack/manifest.yaml", method, strings.Join(where, ", "))
			continue
		}
		for _, s := range scopes {
			want[s] = true
		}
	}
	// The bot is driven by the /patch slash command (SlashCommandParse over
	// HTTP, slack.SlashCommand over Socket Mode): that is the commands scope.
	if !grepBot(t, "slack.SlashCommand") {
		t.Error("bot no longer handles slash commands: revisit the commands scope")
	}
	want["commands"] = true
	for _, required := range []string{"PostMessageContext", "UpdateMessageContext", "UploadFileContext", "GetUserGroupMembersContext", "GetUserInfoContext"} {
		if _, ok := calls[required]; !ok {
			t.Errorf("scan found no call of %s in bot/: the scan is broken or the bot changed", required)
		}
	}

	var wantList []string
	for s := range want {
		wantList = append(wantList, s)
	}
	sort.Strings(wantList)
	got := slices.Clone(m.OAuthConfig.Scopes.Bot)
	sort.Strings(got)
	if !slices.Equal(got, wantList) {
		t.Errorf("manifest bot scopes %v, the code needs exactly %v", got, wantList)
	}
	if len(m.OAuthConfig.Scopes.User) > 0 {
		t.Errorf("manifest asks for user scopes %v; the bot acts only as itself", m.OAuthConfig.Scopes.User)
	}
}

func grepBot(t *testing.T, s string) bool {
	t.Helper()
	files, _ := filepath.Glob("../../bot/*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), s) {
			return true
		}
	}
	return false
}

func TestManifestSettings(t *testing.T) {
	m := load(t)
	if m.DisplayInformation.Name == "" || m.Features.BotUser.DisplayName == "" {
		t.Error("manifest needs display_information.name and a bot_user.display_name")
	}
	if !m.Settings.SocketModeEnabled {
		t.Error("settings.socket_mode_enabled must be true: the default transport is Socket Mode")
	}
	if !m.Settings.Interactivity.IsEnabled {
		t.Error("settings.interactivity.is_enabled must be true: approvals are button clicks")
	}
	if m.Settings.Interactivity.RequestURL != "" {
		t.Error("interactivity.request_url is set: with Socket Mode Slack would ignore it, and it suggests a public endpoint")
	}
	if m.Settings.OrgDeployEnabled {
		t.Error("org_deploy_enabled must be false: the app belongs to one workspace")
	}
	if m.Settings.EventSubscriptions != nil {
		t.Error("event_subscriptions set, but the bot handles no Events API events")
	}
	var patch bool
	for _, c := range m.Features.SlashCommands {
		if c.Command != "/patch" {
			t.Errorf("unexpected slash command %s", c.Command)
			continue
		}
		patch = true
		if c.URL != "" {
			t.Error("/patch has a url: Socket Mode delivers commands over the socket")
		}
		checkHint(t, c.UsageHint)
	}
	if !patch {
		t.Error("manifest has no /patch slash command")
	}
}

// checkHint: every subcommand the usage hint names must be one the bot
// parses (bot/command.go's Usage), and help must be there.
func checkHint(t *testing.T, hint string) {
	t.Helper()
	b, err := os.ReadFile("../../bot/command.go")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`const Usage = "/patch ([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatal("bot/command.go has no Usage const to compare the hint with")
	}
	parsed := map[string]bool{}
	for _, part := range strings.Split(string(m[1]), "|") {
		parsed[strings.Fields(part)[0]] = true
	}
	if !strings.Contains(hint, "help") {
		t.Errorf("usage_hint %q does not mention help", hint)
	}
	for _, part := range strings.Split(hint, "|") {
		if f := strings.Fields(part); len(f) > 0 && !parsed[f[0]] {
			t.Errorf("usage_hint names %q, which /patch does not parse", f[0])
		}
	}
}
