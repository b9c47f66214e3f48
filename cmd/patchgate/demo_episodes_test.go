package main

import (
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
