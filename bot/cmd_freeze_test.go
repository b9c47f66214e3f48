package bot

import (
	"context"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/providers/sim"
)

// TestFreezeThroughSlashCommands: an approver freezes a tenant with
// /patch freeze, status shows it, /patch start is refused naming it, an
// outsider may neither freeze nor unfreeze, and /patch unfreeze lifts it.
func TestFreezeThroughSlashCommands(t *testing.T) {
	st := openBolt(t)
	e := newSimEngine(t, st, "r1")
	h := NewHandler(e, openBolt(t), nil, HandlerOptions{})
	tenant := sim.DemoTenants()[0].Name
	run := func(user, text string) string {
		return h.runCommand(context.Background(), slack.SlashCommand{UserID: user, Text: text})
	}
	if got := run(userOutsider, "freeze "+tenant+" 48h INC-7"); !strings.Contains(got, "only approvers may freeze") {
		t.Errorf("outsider's freeze: %q", got)
	}
	got := run(userAlice, "freeze "+tenant+" 3d core banking release, INC-7")
	if !strings.Contains(got, "Frozen: "+tenant+" frozen until") || !strings.Contains(got, "core banking release, INC-7") {
		t.Fatalf("freeze reply: %q", got)
	}
	if got := run(userAlice, "status"); !strings.Contains(got, "🧊 "+tenant+" frozen until") {
		t.Errorf("status does not show the freeze: %q", got)
	}
	if got := run(userAlice, "start "+tenant); !strings.Contains(got, "no new cycle") || !strings.Contains(got, "INC-7") {
		t.Errorf("start during the freeze: %q", got)
	}
	if got := run(userAlice, "freeze "+tenant+" yesterday x"); !strings.Contains(got, "is not an end") {
		t.Errorf("bad end: %q", got)
	}
	if got := run(userOutsider, "unfreeze "+tenant); !strings.Contains(got, "only approvers may lift") {
		t.Errorf("outsider's unfreeze: %q", got)
	}
	if got := run(userBob, "unfreeze "+tenant+" release done"); !strings.Contains(got, "Lifted the freeze of "+tenant) {
		t.Errorf("unfreeze: %q", got)
	}
	if got := run(userAlice, "start "+tenant); !strings.Contains(got, "Started cycle") {
		t.Errorf("start after unfreeze: %q", got)
	}
	evs, err := e.FreezeEvents(context.Background())
	if err != nil || len(evs) != 4 {
		t.Errorf("freeze stream: %d events, %v; want refused, set, refused, lifted", len(evs), err)
	}
}
