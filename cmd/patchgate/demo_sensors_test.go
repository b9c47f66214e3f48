package main

import (
	"strings"
	"testing"

	"github.com/patchgate/patchgate/bot/sandbox"
)

// checkSensorsDemo: the coverage showed the three hosts without a sensor,
// the deployment was requested, approved on its own message, validated in
// its thread and completed, and the coverage showed every host covered
// again. It returns the roots without the deployment's message.
func checkSensorsDemo(t *testing.T, out string, sb *sandbox.Server, roots []sandbox.Message, pdfs map[string][]byte) []sandbox.Message {
	t.Helper()
	wantOutput(t, out,
		"bayview-cu/nonprod: 9 of 12 hosts covered — 3 without a sensor",
		"rita (requester) types /patch sensors deploy bayview-cu nonprod → Requested sensor deployment `SD-bayview-cu-",
		"sam (SRE) clicks approve on bayview-cu sensors → Approved (1/1); installing the sensor on 3 host(s) now.",
		"bayview-cu/nonprod: 12 of 12 hosts covered — 0 without a sensor",
	)
	deploys, rest := splitRoots(roots, "SD-bayview-cu-")
	if len(deploys) != 1 {
		t.Errorf("%d sensor deployment messages, want 1", len(deploys))
		return rest
	}
	var thread strings.Builder
	for _, r := range deploys[0].Replies {
		thread.WriteString(r.Text)
		thread.Write(r.Blocks)
	}
	for _, want := range []string{"🔎 Validation", "🎉"} {
		if !strings.Contains(thread.String(), want) {
			t.Errorf("the deployment's thread lacks %q:\n%s", want, thread.String())
		}
	}
	return rest
}
