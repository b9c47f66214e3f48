package main

import (
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/bot/sandbox"
)

// checkPostureDemo: the posture scan answered with every tenant's posture;
// the requester saw a tenant's overdue hosts and its due-soon list; the
// SRE's exception for an overdue host (with its compensating control) was
// refused his own approval (four eyes) and accepted by both change
// approvers; the second scan counts the host as excepted and lists who
// accepted it. Each scan posted a posture digest whose thread holds its
// charts as PNG files. The digests are returned out of roots.
func checkPostureDemo(t *testing.T, out string, sb *sandbox.Server, roots []sandbox.Message, _ map[string][]byte) []sandbox.Message {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "/patch posture") || strings.Contains(l, "/patch except") {
			lines = append(lines, l)
		}
	}
	story := strings.Join(lines, "\n")
	for _, re := range []string{
		`sam \(SRE\) types /patch posture scan → \*acme-cu\* — scanned .* within SLA .*PCI DSS 6\.3\.3 .*\*bayview-cu\*.*\*cascade-cu\*`,
		`rita \(requester\) types /patch posture (\S+-cu) → \*\S+-cu\* — scanned .*Overdue \(\d+\): .*Due within 7 days \(\d+\): .* KEV CVE-2026-\d+\)`,
		"sam \\(SRE\\) types /patch except \\S+-cu host:\\S+ \\d{4}-\\d\\d-\\d\\d core-banking .* control: isolated VLAN.* → Requested: `exc-[0-9a-f]+` .* control: isolated VLAN, no inbound internet, IDS signatures for the open CVEs; requested by .*; pending approval",
		`sam \(SRE\) types /patch except approve exc-[0-9a-f]+ → You requested this exception; another risk approver must approve it \(four eyes\)\.`,
		`cara \(CAB\) types /patch except approve exc-[0-9a-f]+ → Approval recorded \(1 of 2\)`,
		`carl \(CAB\) types /patch except approve exc-[0-9a-f]+ → Approved; in force now: .* accepted by`,
		`rita \(requester\) types /patch posture \S+-cu → .*excepted 1 .*Excepted \(\d+\): .*exception exc-[0-9a-f]+`,
	} {
		if !regexp.MustCompile(re).MatchString(story) {
			t.Errorf("posture story lacks /%s/ in:\n%s", re, story)
		}
	}
	var kept []sandbox.Message
	digests := 0
	for _, m := range roots {
		if !strings.HasPrefix(m.Text, "*Patch SLA posture*") {
			kept = append(kept, m)
			continue
		}
		digests++
		pngs := 0
		for _, f := range sb.Files() {
			if f.ThreadTS == m.TS && strings.HasSuffix(f.Name, ".png") {
				if !bytes.HasPrefix(f.Content, []byte("\x89PNG\r\n\x1a\n")) {
					t.Errorf("digest %s: %s is not a PNG", m.TS, f.Name)
				}
				pngs++
			}
		}
		if pngs < 3 {
			t.Errorf("digest %s: %d PNG charts in its thread, want the three charts at least", m.TS, pngs)
		}
	}
	if digests != 2 {
		t.Errorf("%d posture digests, want one per scan (2)", digests)
	}
	return kept
}
