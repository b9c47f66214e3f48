package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestDemo runs the README's first command in-process and checks the story
// it must tell: the gates catch the seeded faults, the policy refuses the
// outsider and the requester, and every cycle completes with a verified
// audit log.
func TestDemo(t *testing.T) {
	var out bytes.Buffer
	err := runDemo(context.Background(), demoOptions{
		statePath: filepath.Join(t.TempDir(), "state.db"), soak: 500 * time.Millisecond,
		opTime: 100 * time.Millisecond, out: &out,
	})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		"[acme-cu   ] preflight  gate.failed          inventory: 40 hosts, 3 unmanaged",
		"proceeding without 3 host(s): acme-cu-nonprod-app-02",
		"[bayview-cu] nonprod    gate.failed          sensors: 12 host(s) checked, 1 would lose their EDR sensor",
		"upgrades the Falcon sensor on bayview-cu-nonprod-db-01",
		"refused: You are not an approver for production",
		"refused: You requested this cycle, and production needs someone else's approval (four eyes).",
		"backups started 9, patches started 9, duplicates 0, incidents opened 2",
		"audit OK:",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^  \S+ completed: 40 hosts`).FindAllString(s, -1)); n != 3 {
		t.Errorf("%d cycles completed, want 3\n%s", n, s)
	}
}
