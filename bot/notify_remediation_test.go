package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// TestConfigEventCardPostedAndApprovedByClick: two compliance events of
// one tenant's environment, taken in by two replicas, become one card in
// the recording Slack once the debounce window closes, naming both
// instances; a click on its Approve button, read back from the posted
// card, goes through the interaction path to Engine.Decide, and the same
// card is updated in place without the button.
func TestConfigEventCardPostedAndApprovedByClick(t *testing.T) {
	ctx := context.Background()
	r := newEngineRun(t, engineRunOptions{replicas: 2})
	env := r.tenant.Environments[0]
	fleet, err := sim.New(sim.Config{Seed: 11, Tenants: []runbooks.Tenant{r.tenant}, Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	hosts, err := fleet.Hosts(ctx, r.tenant, env)
	if err != nil || len(hosts) < 2 {
		t.Fatalf("hosts of %s: %v (%d)", env.Name, err, len(hosts))
	}
	var id string
	for i, h := range hosts[:2] {
		ev := runbooks.ComplianceEvent{ID: "ev-" + h.ID, Account: h.Account, Region: h.Region, InstanceID: h.ID,
			Rule: "ec2-managedinstance-patch-compliance-status-check", Compliance: runbooks.NonCompliant,
			At: r.clock.Now().Add(-time.Hour), Source: "http", Tenant: r.tenant.Name, Env: env.Name}
		got, err := r.engines[i].IntakeComplianceEvent(ctx, ev)
		if err != nil || (id != "" && got != id) {
			t.Fatalf("intake %s: %q %v (first %q)", h.ID, got, err, id)
		}
		id = got
	}
	r.clock.Advance(runbooks.DefaultRemediationDebounce + time.Minute)
	r.tick(ctx)
	r.tick(ctx)
	r.settle()

	var roots int
	for _, c := range r.api.roots() {
		if strings.Contains(c.Blocks, id) {
			roots++
		}
	}
	if roots != 1 {
		t.Fatalf("%d cards posted for %s, want one", roots, id)
	}
	card := latestCard(r.api, id)
	text := blocksText(t, card.Blocks)
	for _, w := range []string{"Remediation ·", hosts[0].ID, hosts[1].ID, "ec2-managedinstance-patch-compliance-status-check", "non-compliant for 1h", env.Name + "* policy"} {
		if !strings.Contains(text, w) {
			t.Errorf("card:\n%s\nwant %q", text, w)
		}
	}
	value := postedButton(t, card.Blocks, "patchgate.approve")
	ic, err := decodeInteraction([]byte(clickPayload(value, engAlice, "1700000001.000200", "")))
	if err != nil {
		t.Fatal(err)
	}
	clicks := clicksOf(ic)
	if len(clicks) != 1 || clicks[0].Err != nil {
		t.Fatalf("clicks %+v", clicks)
	}
	out, err := r.engines[1].Decide(ctx, clicks[0].Decision)
	if err != nil || out.Remediation == nil || !out.Remediation.ApprovedBy(engAlice) {
		t.Fatalf("approve click: %+v %v", out, err)
	}
	r.settle()
	last := latestCard(r.api, id)
	if len(r.api.roots()) != 1 || last.Method != "chat.update" || !strings.Contains(last.Blocks, id) || strings.Contains(last.Blocks, "patchgate.approve") {
		t.Errorf("after approval: %d root(s); last update:\n%s\nwant the same card, without Approve", len(r.api.roots()), blocksText(t, last.Blocks))
	}
}

// latestCard is the newest post or update of the card naming id.
func latestCard(api *recAPI, id string) recCall {
	var last recCall
	for _, c := range api.Calls("") {
		if (c.Method == "chat.update" || (c.Method == "chat.postMessage" && c.ThreadTS == "")) && strings.Contains(c.Blocks, id) {
			last = c
		}
	}
	return last
}

// postedButton is the value of the button with actionID in a posted message.
func postedButton(t *testing.T, blocks, actionID string) string {
	t.Helper()
	var bs []struct {
		Elements []struct {
			ActionID string `json:"action_id"`
			Value    string `json:"value"`
		} `json:"elements"`
	}
	if err := json.Unmarshal([]byte(blocks), &bs); err != nil {
		t.Fatalf("blocks: %v", err)
	}
	for _, b := range bs {
		for _, e := range b.Elements {
			if e.ActionID == actionID {
				return e.Value
			}
		}
	}
	t.Fatalf("no %s button in %s", actionID, blocks)
	return ""
}
