package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// TestChangeRecordInRootAndThread: the root message shows the change
// number (linked), state and approval, and a stage held for the approval;
// the thread announces the record's creation and closing; a failing
// platform is shown in the root.
func TestChangeRecordInRootAndThread(t *testing.T) {
	now := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	c := &runbooks.Cycle{ID: "acme-1", Tenant: "acme", Requester: "U1", Created: now, Status: runbooks.StatusRunning,
		Stages: []runbooks.Stage{
			{Name: "preflight", Kind: runbooks.KindPreflight, Phase: runbooks.PhaseDone},
			{Name: "production", Kind: runbooks.KindEnvironment, Env: "production", Phase: runbooks.PhasePending, RequireChangeApproval: true, MinApprovals: 2},
		},
		Change: &runbooks.ChangeRef{Platform: "servicenow", Kind: runbooks.ChangeNormal, ID: "sys1", Number: "CHG0030001",
			URL: "https://acme.service-now.com/change_request.do?sys_id=sys1", PlatformState: "Assess", Approval: "Requested"}}
	root := mustMarshal(t, renderRoot(c, rootView{Tenant: "Acme", Now: now}).Blocks)
	for _, s := range []string{"*Change*", "<https://acme.service-now.com/change_request.do?sys_id=sys1|CHG0030001>", "Assess", "approval Requested",
		"*production* waits for ServiceNow CHG0030001 (Assess) to be approved in ServiceNow"} {
		if !strings.Contains(root, s) {
			t.Errorf("root lacks %q:\n%s", s, root)
		}
	}

	c.Change.Errors, c.Change.LastError, c.Change.LastAction, c.Change.RetryAt = 2, "servicenow rest PATCH failed: HTTP 503", "implement", now.Add(time.Minute)
	if root := mustMarshal(t, renderRoot(c, rootView{Tenant: "Acme", Now: now}).Blocks); !strings.Contains(root, "change record implement in ServiceNow failed (2 in a row") {
		t.Errorf("root does not show the failing platform:\n%s", root)
	}

	data := map[string]string{"platform": "servicenow", "kind": "normal", "number": "CHG0030001", "url": c.Change.URL}
	evs := []runbooks.Event{
		{Seq: 1, Type: runbooks.EvChangeCreated, Data: data},
		{Seq: 2, Type: runbooks.EvChangeClosed, Detail: "CHG0030001 closed successful", Data: data},
	}
	for _, ev := range evs {
		if !notable(c, ev) {
			t.Errorf("%s is not notable", ev.Type)
		}
	}
	var thread []string
	for _, p := range renderThread(c, evs) {
		thread = append(thread, mustMarshal(t, p.msg.Blocks))
	}
	text := strings.Join(thread, "\n")
	for _, s := range []string{"ServiceNow normal change <https://acme.service-now.com/change_request.do?sys_id=sys1|CHG0030001> opened", "closed: CHG0030001 closed successful"} {
		if !strings.Contains(text, s) {
			t.Errorf("thread lacks %q:\n%s", s, text)
		}
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace(string(b))
}
