package bot

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/sla"
)

// slaFleet is one managed host with a long-overdue critical patch.
type slaFleet struct{}

func (slaFleet) Hosts(context.Context, runbooks.Tenant, runbooks.Environment) ([]runbooks.Host, error) {
	return []runbooks.Host{{ID: "i-legacy", Name: "legacy-1", Env: "production", Managed: true}}, nil
}

func (slaFleet) PatchFindings(context.Context, []runbooks.Host) ([]runbooks.PatchFinding, error) {
	return []runbooks.PatchFinding{{HostID: "i-legacy", HostName: "legacy-1", PatchID: "KB-OLD", Severity: runbooks.PatchCritical,
		Released: time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC), State: runbooks.PatchMissing, Source: "test"}}, nil
}

// TestExceptionThroughSlashCommands: /patch except requests an exception,
// its requester's own approval is refused (four eyes), another risk
// approver's takes effect, and /patch posture scan then counts the host as
// excepted and lists who accepted it.
func TestExceptionThroughSlashCommands(t *testing.T) {
	clock := runbooks.ClockFunc(func() time.Time { return time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC) })
	svc := &sla.Service{Store: openBolt(t), Tenants: []runbooks.Tenant{{Name: "acme", Environments: []runbooks.Environment{{Name: "production"}}}},
		Inventory: slaFleet{}, Findings: slaFleet{}, Policy: sla.Policy{Default: sla.DefaultDeadlines()}, Clock: clock,
		RiskApprovers: []string{"U0RISK1", "U0RISK2"}, MinApprovals: 1, MaxExceptionDays: 365}
	h := NewHandler(newFakeEngine(), openBolt(t), nil, HandlerOptions{SLA: svc})
	run := func(user, text string) string {
		return h.runCommand(context.Background(), slack.SlashCommand{UserID: user, Text: text})
	}
	got := run("U0RISK1", "except acme host:legacy-1 2027-01-31 vendor appliance, patch breaks the HSM driver control: isolated VLAN and IDS")
	id := regexp.MustCompile("`(exc-[0-9a-f]+)`").FindStringSubmatch(got)
	if id == nil || !strings.Contains(got, "pending approval") || !strings.Contains(got, "control: isolated VLAN and IDS") {
		t.Fatalf("request reply: %q", got)
	}
	if got := run("U0RISK1", "except approve "+id[1]); !strings.Contains(got, "four eyes") {
		t.Errorf("requester's own approval: %q", got)
	}
	if got := run("U0RISK2", "except approve "+id[1]); !strings.Contains(got, "in force now") || !strings.Contains(got, "accepted by U0RISK2") {
		t.Errorf("second approver: %q", got)
	}
	got = run("U0RISK2", "posture scan")
	if !strings.Contains(got, "excepted 1") || !strings.Contains(got, "Excepted (1)") || !strings.Contains(got, "exception "+id[1]) {
		t.Errorf("posture after approval: %q", got)
	}
	if got := run("U0RISK2", "posture nope"); !strings.Contains(got, "no tenant") && !strings.Contains(got, "There is no tenant") {
		t.Errorf("unknown tenant: %q", got)
	}
	h.opts.SLA = nil
	if got := run("U1", "posture"); !strings.Contains(got, "not configured") {
		t.Errorf("without the service: %q", got)
	}
}
