package bot

import (
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/runbooks/daily"
)

// maxPostureTenants keeps a digest under Slack's 50 blocks (a header, a
// context line, one section per tenant and a closing note).
const maxPostureTenants = 45

// PostureBlocks renders the compliance posture digest: per tenant the
// latest rate, the trend over the last reports and the open exceptions.
// names maps tenant names to display names (TenantNames); the text is the
// notification fallback.
func PostureBlocks(p daily.Posture, names map[string]string) (text string, blocks []slack.Block) {
	text = fmt.Sprintf("Compliance posture: %d tenant(s)", len(p.Tenants))
	blocks = []slack.Block{
		slack.NewHeaderBlock(plain("Compliance posture")),
		contextLine(fmt.Sprintf("As of %s · control mapping %s · trend over the last %d reports",
			p.At.UTC().Format("2006-01-02 15:04 UTC"), p.Mapping, daily.PostureTrend)),
	}
	if e := p.ExpiredText(); e != "" {
		blocks = append(blocks, contextLine("⌛ Cycles closed because an approval expired: "+esc(e)))
	}
	if len(p.Tenants) == 0 {
		return text, append(blocks, section("No finished cycle has a report yet."))
	}
	for i, t := range p.Tenants {
		if i == maxPostureTenants {
			blocks = append(blocks, contextLine(fmt.Sprintf("… and %d more tenants (see `patchgate report posture`)", len(p.Tenants)-i)))
			break
		}
		name := names[t.Tenant]
		if name == "" {
			name = t.Tenant
		}
		mark := "✅"
		ex := "no open exceptions"
		if len(t.OpenExceptions) > 0 {
			mark = "⚠️"
			ex = "open exceptions: " + esc(strings.Join(t.OpenExceptions, ", "))
		}
		blocks = append(blocks, section(fmt.Sprintf("%s *%s* — *%s* (%d/%d criteria)\nTrend: %s\n%s · latest `%s`",
			mark, esc(name), daily.RateText(t.Rate), t.Passed, t.Applicable, t.TrendText(), ex, esc(t.LatestCycle))))
	}
	return text, blocks
}
