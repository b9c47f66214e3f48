package bot

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks/daily"
	"github.com/patchgate/patchgate/runbooks/drift"
	"github.com/patchgate/patchgate/runbooks/saml"
)

var fxNow = time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)

func fxRecord() *saml.Record {
	c := saml.Certificate{Source: "okta.xml", EntityID: "https://acme.okta.example", Role: "idp", Use: "signing",
		Subject: "CN=acme <okta> signing,O=Acme CU", Serial: "1001", NotAfter: fxNow.Add(10 * 24 * time.Hour),
		SHA256: "AB:CD", Kind: saml.KindOkta, Integration: "Online banking", SourceName: "okta"}
	f := saml.Finding{Certificate: c, DaysLeft: 10, Level: saml.LevelPage}
	r := &saml.Record{Fingerprint: "abcd", Finding: f, Procedure: saml.MOP(saml.KindOkta, f, c.Integration), Status: saml.StatusOpen,
		Ref: saml.Ref{Channel: "C1", TS: "1.1"}}
	r.Ticks = []saml.Tick{{Step: r.Procedure.Steps[0].ID, By: "U0SRE00001", At: fxNow.Add(time.Hour)}}
	return r
}

// TestDailyMessagesGolden pins the SAML runbook (open with one tick, and
// resolved), the drift digest and the status digest.
func TestDailyMessagesGolden(t *testing.T) {
	open := fxRecord()
	resolved := fxRecord()
	resolved.Status, resolved.Resolution, resolved.ResolvedAt = saml.StatusResolved, "renewed: certificate serial 2002 is valid until 2027-11-23", fxNow.Add(48*time.Hour)
	d := drift.Digest{At: fxNow, Groups: []drift.Group{
		{Tenant: "acme-cu", Account: "111122223333", Workspaces: []drift.WorkspaceReport{
			{Name: "net", Status: drift.StatusDrift, Items: []drift.Item{
				{ID: "i1", Address: "aws_security_group.web", Action: "update", Kind: drift.KindDrift, Paths: []string{"ingress[0].cidr_blocks[1]", "tags.Owner"},
					Decision: &drift.Decision{Kind: drift.Ratify, By: "U0CAB00001", At: fxNow.Add(-time.Hour)}},
				{ID: "i2", Address: "aws_s3_bucket.logs", Action: "delete", Kind: drift.KindDrift},
			}},
		}},
		{Tenant: "bayview-cu", Workspaces: []drift.WorkspaceReport{{Name: "edge", Status: drift.StatusFailed, Error: "terraform init: Error: Unsupported block type <x>"}}},
	}, Resolved: []drift.Item{{Workspace: "net", Address: "aws_iam_role.ci", Decision: &drift.Decision{Kind: drift.Remediate, By: "U0CAB00002"}}}}
	dm, more := driftMessage(d)
	if more {
		t.Error("two items reported as more than the message holds")
	}
	for name, m := range map[string]message{
		"saml-open": samlMessage(open), "saml-resolved": samlMessage(resolved), "drift-digest": dm,
		"status-digest": statusDigestMessage(daily.StatusView{At: fxNow}),
	} {
		t.Run(name, func(t *testing.T) {
			checkBlockLimits(t, m)
			checkGolden(t, "daily-"+name+".golden.json", goldenJSON(t, goldenMessage{Text: m.Text, Blocks: m.Blocks}))
		})
	}
}

// TestDriftDigestCapsButtons: a digest with many items stays within
// Slack's 50 blocks and says the rest are attached.
func TestDriftDigestCapsButtons(t *testing.T) {
	var items []drift.Item
	for i := range 60 {
		items = append(items, drift.Item{ID: fmt.Sprint(i), Address: fmt.Sprintf("aws_instance.a[%d]", i), Action: "update"})
	}
	m, more := driftMessage(drift.Digest{At: fxNow, Groups: []drift.Group{{Tenant: "t", Workspaces: []drift.WorkspaceReport{{Name: "w", Status: drift.StatusDrift, Items: items}}}}})
	if !more || len(m.Blocks.BlockSet) > maxBlocks {
		t.Errorf("more=%v, %d blocks", more, len(m.Blocks.BlockSet))
	}
	checkBlockLimits(t, m)
}

// TestFreezeShownInStatusDigest: the status digest lists the freezes that
// hold or are announced, so nobody wonders why nothing starts; without
// freezes it is unchanged.
func TestFreezeShownInStatusDigest(t *testing.T) {
	v := daily.StatusView{At: fxNow, Freezes: []string{"all tenants until 2026-12-31 00:00 UTC: month-end processing (config)"}}
	m := statusDigestMessage(v)
	b, err := json.Marshal(m.Blocks)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "month-end processing") || !strings.Contains(m.Text, "1 freeze(s)") {
		t.Errorf("digest lacks the freeze: text %q, blocks %s", m.Text, b)
	}
	if plain := statusDigestMessage(daily.StatusView{At: fxNow}); strings.Contains(plain.Text, "freeze") || len(plain.Blocks.BlockSet) != 2 {
		t.Errorf("a digest without freezes changed: %q, %d blocks", plain.Text, len(plain.Blocks.BlockSet))
	}
}
