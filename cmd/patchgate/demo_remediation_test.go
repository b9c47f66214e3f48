package main

import (
	"regexp"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/bot/sandbox"
)

// checkRemediationDemo: the Config event reached the signed HTTP intake and
// was recorded; one remediation card for acme-cu nonprod asked its
// approvers, otto was refused and sam approved; the instance was patched
// and the card resolved when Config reported it COMPLIANT. It returns the
// roots without the remediation's card.
func checkRemediationDemo(t *testing.T, out string, sb *sandbox.Server, roots []sandbox.Message, pdfs map[string][]byte) []sandbox.Message {
	t.Helper()
	wantOutput(t, out,
		"AWS Config flags "+demoRemediationHost,
		"EventBridge's event, signed, to POST /events/config → 200 OK",
		"otto (outsider) clicks approve on acme-cu remediation → ",
		"sam (SRE) clicks approve on acme-cu remediation → ",
	)
	if !regexp.MustCompile(`remediation RM-\S+ of acme-cu nonprod: resolved \(i-[0-9a-f]+ COMPLIANT\)`).MatchString(out) {
		t.Errorf("demo output does not show acme-cu's remediation resolved with its instance COMPLIANT")
	}
	cards, rest := splitRoots(roots, "RM-")
	if len(cards) != 1 {
		t.Errorf("%d remediation cards in the channel, want 1", len(cards))
		return rest
	}
	card := string(cards[0].Blocks) + cards[0].Text
	if !strings.Contains(card, "COMPLIANT") || strings.Contains(card, `"action_id":"patchgate.approve"`) {
		t.Errorf("the card does not show the remediation resolved (COMPLIANT, no Approve button): %s", card)
	}
	return rest
}
