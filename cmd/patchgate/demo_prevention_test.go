package main

import (
	"strings"
	"testing"

	"github.com/patchgate/patchgate/bot/sandbox"
)

// checkPreventionDemo: cascade-cu's nonprod rollout was requested,
// approved, moved its host group and passed its shortened window's
// detection gate, after which staging's rollout could be requested. It
// returns the roots without the two rollouts' messages.
func checkPreventionDemo(t *testing.T, out string, sb *sandbox.Server, roots []sandbox.Message, pdfs map[string][]byte) []sandbox.Message {
	t.Helper()
	wantOutput(t, out,
		"rita (requester) types /patch prevention cascade-cu nonprod → Requested prevention PV-cascade-cu-nonprod-",
		"sam (SRE) clicks approve on cascade-cu prevention → Approved (1/1)",
		"of cascade-cu nonprod: passed",
		"rita (requester) types /patch prevention cascade-cu staging → Requested prevention PV-cascade-cu-staging-",
	)
	rollouts, rest := splitRoots(roots, "PV-cascade-cu-")
	if len(rollouts) != 2 {
		t.Errorf("%d prevention rollout messages, want nonprod's and staging's", len(rollouts))
	}
	var thread strings.Builder
	for _, m := range rollouts {
		if strings.Contains(string(m.Blocks), "PV-cascade-cu-nonprod-") {
			for _, r := range m.Replies {
				thread.WriteString(r.Text)
				thread.Write(r.Blocks)
			}
		}
	}
	for _, want := range []string{demoGroupNonprod, "within the thresholds"} {
		if !strings.Contains(thread.String(), want) {
			t.Errorf("nonprod's rollout thread lacks %q:\n%s", want, thread.String())
		}
	}
	return rest
}
