package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks/daily"
)

func TestPostureBlocks(t *testing.T) {
	p := daily.Posture{At: time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC), Tenants: []daily.TenantPosture{
		{Tenant: "acme-cu", LatestCycle: "acme-cu-3", Passed: 9, Applicable: 9, Rate: 1, Trend: []float64{0.92, 0.95, 1}},
		{Tenant: "bayview-cu", LatestCycle: "bayview-cu-1", Passed: 7, Applicable: 8, Rate: 0.875, Trend: []float64{0.875},
			OpenExceptions: []string{"A1.2", "<!channel>"}},
	}}
	text, blocks := PostureBlocks(p, map[string]string{"acme-cu": "Acme Credit Union"})
	b, err := json.Marshal(blocks)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{"Compliance posture", "Acme Credit Union", "*100%* (9/9 criteria)", "Trend: 92% → 95% → 100%",
		"bayview-cu", "*87.5%* (7/8 criteria)", "open exceptions: A1.2, \\u0026lt;!channel\\u0026gt;", "2026-11-23 07:00 UTC"} {
		if !strings.Contains(s, want) {
			t.Errorf("blocks lack %q:\n%s", want, s)
		}
	}
	if len(blocks) != 4 || !strings.Contains(text, "2 tenant") {
		t.Errorf("%d blocks, text %q", len(blocks), text)
	}
	_, empty := PostureBlocks(daily.Posture{}, nil)
	if b, _ := json.Marshal(empty); !strings.Contains(string(b), "No finished cycle has a report yet") {
		t.Errorf("empty posture: %s", b)
	}
	many := daily.Posture{}
	for range 60 {
		many.Tenants = append(many.Tenants, daily.TenantPosture{Tenant: "t", Trend: []float64{1}})
	}
	if _, bl := PostureBlocks(many, nil); len(bl) > 50 {
		t.Errorf("%d blocks for 60 tenants, Slack takes 50", len(bl))
	}
}
