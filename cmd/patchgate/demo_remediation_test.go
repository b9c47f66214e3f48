package main

import (
	"testing"

	"github.com/patchgate/patchgate/bot/sandbox"
)

// checkRemediationDemo is filled by its branch this session.
func checkRemediationDemo(t *testing.T, out string, sb *sandbox.Server, roots []sandbox.Message, pdfs map[string][]byte) []sandbox.Message {
	return roots
}
