package main

import (
	"testing"

	"github.com/patchgate/patchgate/bot/sandbox"
)

// checkEmergencyDemo is filled by its branch this session.
func checkEmergencyDemo(t *testing.T, out string, sb *sandbox.Server, roots []sandbox.Message, pdfs map[string][]byte) []sandbox.Message {
	return roots
}
