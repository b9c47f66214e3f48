package bot

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestBotDependsOnPortsOnly: the Slack adapter renders and talks to Slack;
// the reports and the store backends are wired in by cmd, so `go list
// -deps` of bot names neither (DESIGN: bot may import runbooks, the state
// interface and slack-go).
func TestBotDependsOnPortsOnly(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if !slices.Contains(deps, "github.com/patchgate/patchgate/runbooks") {
		t.Fatalf("go list -deps printed no runbooks; the check below would prove nothing:\n%s", out)
	}
	for _, banned := range []string{
		"github.com/patchgate/patchgate/reports",
		"github.com/patchgate/patchgate/state/boltstore",
		"github.com/patchgate/patchgate/state/redisstore",
	} {
		if slices.Contains(deps, banned) {
			t.Errorf("bot depends on %s", banned)
		}
	}
}
