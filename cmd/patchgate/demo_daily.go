package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/providers/sim"
)

// demoDaily seeds the demo fleet's daily-check findings under dir and
// returns the saml and drift sections that point at them:
//   - IdP metadata with freshly generated certificates expiring in 45 days
//     (acme-cu's Okta: a warning runbook) and 10 days (bayview-cu's AD FS:
//     a runbook and a page);
//   - a recorded AWS plan with console drift for acme-cu's network, and,
//     when terraform is on PATH, a real terraform_data workspace for
//     cascade-cu that terraform checks offline (clean).
func demoDaily(dir string, now time.Time) (string, dailyWiring, error) {
	var hw dailyWiring
	okta, err := sim.SAMLMetadata(now, []sim.IdPCert{
		{EntityID: "https://acme-cu.okta.example/saml", CommonName: "acme-cu Okta signing 2026", Serial: 0x4501, ValidFor: 45*24*time.Hour + time.Hour},
		{EntityID: "https://cascade-cu.okta.example/saml", CommonName: "cascade-cu Okta signing 2027", Serial: 0x3650, ValidFor: 365 * 24 * time.Hour},
	})
	if err != nil {
		return "", hw, err
	}
	adfs, err := sim.SAMLMetadata(now, []sim.IdPCert{
		{EntityID: "https://adfs.bayview-cu.example/adfs/services/trust", CommonName: "bayview-cu ADFS token signing", Serial: 0x1001, ValidFor: 10*24*time.Hour + time.Hour},
	})
	if err != nil {
		return "", hw, err
	}
	oktaPath := filepath.Join(dir, "okta-metadata.xml")
	adfsPath := filepath.Join(dir, "adfs-metadata.xml")
	planPath := filepath.Join(dir, "acme-cu-network.plan.json")
	for path, b := range map[string][]byte{oktaPath: okta, adfsPath: adfs, planPath: sim.DemoDriftPlan()} {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return "", hw, err
		}
	}
	yaml := fmt.Sprintf(`saml:
  sources:
    - {name: okta-members, kind: okta, file: %q, integration: Online banking (member SSO)}
    - {name: bayview-adfs, kind: adfs, file: %q, integration: bayview-cu staff portal}
drift:
  concurrency: 2
  workspaces:
    - {name: acme-cu-network, tenant: acme-cu, account: "111122223333", plan_json: %q}
`, oktaPath, adfsPath, planPath)
	if _, err := exec.LookPath("terraform"); err == nil {
		tfDir := filepath.Join(dir, "terraform", "cascade-cu-dns")
		rc := filepath.Join(dir, "terraformrc")
		main := "resource \"terraform_data\" \"dns\" {\n  input = \"cascade-cu.example\"\n}\n"
		if err := os.MkdirAll(tfDir, 0o700); err != nil {
			return "", hw, err
		}
		if err := os.WriteFile(filepath.Join(tfDir, "main.tf"), []byte(main), 0o600); err != nil {
			return "", hw, err
		}
		if err := os.WriteFile(rc, nil, 0o600); err != nil {
			return "", hw, err
		}
		hw.terraformEnv = map[string]string{"TF_CLI_CONFIG_FILE": rc, "CHECKPOINT_DISABLE": "1"}
		yaml += fmt.Sprintf("    - {name: cascade-cu-dns, tenant: cascade-cu, account: \"444455556666\", dir: %q}\n", tfDir)
	}
	return yaml, hw, nil
}

// dailyChecks plays the daily-check part of the story: the SAML check posts
// runbooks for the seeded certificates, an SRE ticks the first step, the
// drift report posts its digest, the outsider is refused a decision and a
// change approver ratifies; then the status digest.
func (p *slackPeople) dailyChecks(ctx context.Context) error {
	if err := p.command(ctx, demoRequester, "/patch saml"); err != nil {
		return err
	}
	if ts, v, ok := p.dailyButton(bot.ActionSAMLTick, "expires in 10 days"); ok {
		if err := p.dailyClick(ctx, demoSRE, ts, bot.ActionSAMLTick, v, "ticks MOP step 1"); err != nil {
			return err
		}
	}
	if err := p.command(ctx, demoSRE, "/patch drift"); err != nil {
		return err
	}
	if ts, v, ok := p.dailyButton(bot.ActionDriftRemediate, "Terraform drift report"); ok {
		if err := p.dailyClick(ctx, demoOutsider, ts, bot.ActionDriftRemediate, v, "clicks Remediate"); err != nil {
			return err
		}
		if err := p.dailyClick(ctx, demoCAB1, ts, bot.ActionDriftRatify, v, "clicks Ratify"); err != nil {
			return err
		}
	}
	return p.command(ctx, demoSRE, "/patch digest")
}

// dailyButton finds the first button with actionID on the latest message
// whose text contains marker.
func (p *slackPeople) dailyButton(actionID, marker string) (ts, value string, ok bool) {
	type button struct {
		ActionID string `json:"action_id"`
		Value    string `json:"value"`
	}
	msgs := p.sb.Messages(demoChannel)
	for i := len(msgs) - 1; i >= 0; i-- {
		m := msgs[i]
		var blocks []struct {
			Elements  []button `json:"elements"`
			Accessory *button  `json:"accessory"`
		}
		if !strings.Contains(m.Text, marker) || json.Unmarshal(m.Blocks, &blocks) != nil {
			continue
		}
		for _, b := range blocks {
			if b.Accessory != nil {
				b.Elements = append(b.Elements, *b.Accessory)
			}
			for _, e := range b.Elements {
				if e.ActionID == actionID {
					return m.TS, e.Value, true
				}
			}
		}
	}
	return "", "", false
}

func (p *slackPeople) dailyClick(ctx context.Context, who, ts, actionID, value, what string) error {
	if err := p.sb.Click(ctx, who, demoChannel, ts, actionID, value); err != nil {
		return fmt.Errorf("%s as %s: %w", what, who, err)
	}
	p.say("%s %s → %s", demoNames[who], what, orDash(p.awaitEphemeral(ctx, who)))
	return nil
}
