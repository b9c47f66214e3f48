package main

import (
	"strings"
	"testing"

	"github.com/patchgate/patchgate/bot/sandbox"
)

// episodeCheck checks one episode of the demo story: the story's output,
// what Slack holds and the reports in the threads. It returns the root
// messages that are not its own, so the cycles' roots are what is left.
type episodeCheck func(t *testing.T, out string, sb *sandbox.Server, roots []sandbox.Message, pdfs map[string][]byte) []sandbox.Message

// checkEpisodes runs every episode's check, in the story's order.
func checkEpisodes(t *testing.T, out string, sb *sandbox.Server, roots []sandbox.Message, pdfs map[string][]byte) []sandbox.Message {
	t.Helper()
	for _, check := range []episodeCheck{checkEmergencyDemo, checkPostureDemo, checkRemediationDemo, checkSensorsDemo, checkPreventionDemo} {
		roots = check(t, out, sb, roots, pdfs)
	}
	return roots
}

// wantOutput fails the test for each line the story's output lacks.
func wantOutput(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, want := range lines {
		if !strings.Contains(out, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
}

// splitRoots sets apart the root messages whose text or blocks name
// marker (an episode's record IDs) from the rest.
func splitRoots(roots []sandbox.Message, marker string) (mine, rest []sandbox.Message) {
	for _, m := range roots {
		if strings.Contains(m.Text, marker) || strings.Contains(string(m.Blocks), marker) {
			mine = append(mine, m)
		} else {
			rest = append(rest, m)
		}
	}
	return mine, rest
}
