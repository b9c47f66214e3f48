package main

import (
	"testing"

	"github.com/patchgate/patchgate/bot/sandbox"
)

// checkPostureDemo is filled by its branch this session.
func checkPostureDemo(t *testing.T, out string, sb *sandbox.Server, roots []sandbox.Message, pdfs map[string][]byte) []sandbox.Message {
	return roots
}
