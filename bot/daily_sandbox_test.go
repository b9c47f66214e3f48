package bot

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks/daily"
	"github.com/patchgate/patchgate/runbooks/drift"
	"github.com/patchgate/patchgate/runbooks/saml"
	"github.com/slack-go/slack/socketmode"
)

// oneDrift is a drift Checker that reports one drifted security group.
type oneDrift struct{}

func (oneDrift) Check(_ context.Context, ws []drift.Workspace) []drift.Result {
	out := make([]drift.Result, len(ws))
	for i, w := range ws {
		out[i] = drift.Result{Workspace: w, Status: drift.StatusDrift,
			Drift: []drift.Change{{Address: "aws_security_group.web", Action: "update", Paths: []string{"ingress[0].cidr_blocks[1]"}}}}
	}
	return out
}

// TestDailyOverSandbox drives /patch saml, drift and digest and the
// daily-check buttons through the sandbox Slack with the real slack-go client
// over Socket Mode: the 45- and 10-day certificates get runbooks with their
// MOP in the thread, a tick updates the message in place, only an approver
// may ratify, and the next digest shows the decision.
func TestDailyOverSandbox(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sb, api, channel, _ := startSandbox(t)
	st := openBolt(t)

	now := time.Now()
	md, err := sim.SAMLMetadata(now, []sim.IdPCert{
		{EntityID: "https://sso.acme.example", CommonName: "acme-okta-2026", Serial: 45, ValidFor: 45*24*time.Hour + time.Hour},
		{EntityID: "https://adfs.bayview.example", CommonName: "bayview-adfs-2026", Serial: 10, ValidFor: 10*24*time.Hour + time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "idp.xml")
	if err := os.WriteFile(file, md, 0o600); err != nil {
		t.Fatal(err)
	}
	chat := NewDailyChat(api, channel, nil)
	svc := &daily.Service{
		SAML: &saml.Runbook{Store: st, Chat: chat, Sources: []saml.Source{saml.FileSource{SourceName: "idp", Kind: saml.KindOkta, Integration: "Online banking", Path: file}}},
		Drift: &drift.Report{Store: st, Checker: oneDrift{}, Chat: chat, Groups: []string{"S0CHANGEADV"}, Directory: NewDirectory(api, time.Minute),
			Workspaces: []drift.Workspace{{Name: "acme-net", Tenant: "acme-cu", Account: "111111111111"}}},
		Active: newFakeEngine().Active,
		Chat:   chat,
	}
	h := NewHandler(newFakeEngine(), st, NewResponseURLReplier(nil, api), HandlerOptions{Daily: DailyReplies{Checks: svc}, Log: quietLog(&testkit.SyncBuffer{})})
	done := make(chan error, 1)
	go func() { done <- h.RunSocketMode(ctx, socketmode.New(api)) }()
	t.Cleanup(func() { cancel(); <-done })

	sam, otto, cara := "U0SRE00001", "U0OUTSIDE1", "U0CAB00001"
	command := func(user, text string) {
		t.Helper()
		if err := sb.SlashCommand(ctx, user, channel, text); err != nil {
			t.Fatalf("%s: %v", text, err)
		}
	}
	reply := func(user, want string) {
		t.Helper()
		waitFor(t, "reply to "+user+" containing "+want, func() bool {
			for _, e := range sb.Ephemerals(user) {
				if strings.Contains(e.Text, want) {
					return true
				}
			}
			return false
		})
	}

	command(sam, "saml")
	reply(sam, "2 runbook(s) posted")
	msgs := sb.Messages(channel)
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want 2 runbooks", len(msgs))
	}
	var page sandbox.Message
	for _, m := range msgs {
		if strings.Contains(m.Text, "expires in 10 days") {
			page = m
		}
		if !strings.Contains(string(m.Blocks), ActionSAMLTick) || !strings.Contains(string(m.Blocks), "Method of Procedure") {
			t.Errorf("runbook %q lacks its MOP checklist: %s", m.Text, m.Blocks)
		}
	}
	if page.TS == "" {
		t.Fatalf("no runbook for the 10-day certificate: %+v", msgs)
	}
	waitFor(t, "the MOP files in the threads", func() bool { return len(sb.Files()) == 2 })
	for _, f := range sb.Files() {
		if !strings.HasSuffix(f.Name, ".md") || !strings.Contains(string(f.Content), "## Rollback") {
			t.Errorf("attachment %s: %.80s", f.Name, f.Content)
		}
	}

	// Anyone in the channel may tick a step; the message shows who.
	value := firstButtonValue(t, page.Blocks, ActionSAMLTick)
	if err := sb.Click(ctx, otto, channel, page.TS, ActionSAMLTick, value); err != nil {
		t.Fatal(err)
	}
	reply(otto, "Ticked step 1")
	waitFor(t, "the runbook updated with the tick", func() bool {
		for _, m := range sb.Messages(channel) {
			if m.TS == page.TS && blocksContain(m.Blocks, "done by <@U0OUTSIDE1>") {
				return true
			}
		}
		return false
	})

	command(sam, "drift")
	reply(sam, "Drift report posted: 1 workspace(s) drifted")
	digest := sb.Messages(channel)[2]
	v := firstButtonValue(t, digest.Blocks, ActionDriftRatify)
	if err := sb.Click(ctx, otto, channel, digest.TS, ActionDriftRatify, v); err != nil {
		t.Fatal(err)
	}
	reply(otto, "not a drift approver")
	if err := sb.Click(ctx, cara, channel, digest.TS, ActionDriftRatify, v); err != nil {
		t.Fatal(err)
	}
	reply(cara, "Recorded: ratify on `aws_security_group.web`")
	command(sam, "drift")
	waitFor(t, "a second digest showing the decision", func() bool {
		ms := sb.Messages(channel)
		return len(ms) == 4 && blocksContain(ms[3].Blocks, "decision: ratify by <@U0CAB00001>")
	})

	command(sam, "digest")
	reply(sam, "Status digest posted: 0 active")
	waitFor(t, "the status digest", func() bool {
		ms := sb.Messages(channel)
		return len(ms) == 5 && strings.Contains(ms[4].Text, "Active patch cycles")
	})
}

// firstButtonValue finds the value of the first button with actionID.
func firstButtonValue(t *testing.T, blocks json.RawMessage, actionID string) string {
	t.Helper()
	var bs []struct {
		Elements  []map[string]any `json:"elements"`
		Accessory map[string]any   `json:"accessory"`
	}
	if err := json.Unmarshal(blocks, &bs); err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		for _, e := range append(b.Elements, b.Accessory) {
			if e != nil && e["action_id"] == actionID {
				return e["value"].(string)
			}
		}
	}
	t.Fatalf("no %s button in %s", actionID, blocks)
	return ""
}

// blocksContain looks for text in blocks as stored (JSON escapes < and >).
func blocksContain(blocks json.RawMessage, text string) bool {
	raw := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(blocks))
	return strings.Contains(raw, text)
}
