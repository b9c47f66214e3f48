package test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/jira"
	"github.com/patchgate/patchgate/providers/jira/jiratest"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

const (
	jiraEmail = "patchgate@acme.example"
	jiraToken = "ATATT-jira-api-token-e2e"
)

func (h *harness) jiraEngines(url string, pipeline runbooks.Pipeline) []*runbooks.Engine {
	h.t.Helper()
	return h.changeEngines(pipeline, 5*time.Second, func() runbooks.ChangeRecords {
		c, err := jira.New(jira.Config{URL: url, Email: jiraEmail, APIToken: jiraToken, Project: "CHG", StepTimeout: 5 * time.Second})
		if err != nil {
			h.t.Fatal(err)
		}
		c.SetSleep(func(ctx context.Context, d time.Duration) error { return ctx.Err() })
		return c
	})
}

// The same cycle on Jira Service Management (jiratest speaks the REST API
// v3 and Service Management shapes): one issue per cycle across three
// replicas and a restart; its status follows the stages (Authorize while
// the approval is asked, Implementing, Review, Closed); production
// requires the approval and waits for it; the outcome and the report's
// location are commented before it closes.
func TestChangeRecordJiraFollowsStages(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			fake := jiratest.New(jiraEmail, jiraToken)
			srv := httptest.NewServer(fake)
			t.Cleanup(srv.Close)
			p := testPipeline()
			p[len(p)-1].RequireChangeApproval = true
			h := newGateHarness(t, b, sim.Faults{})
			h.engines = h.jiraEngines(srv.URL, p)

			c := h.start(ctx, gateTenant().Name)
			c = h.runUntil(ctx, c.ID, "production is next", func(c *runbooks.Cycle) bool {
				return c.Current() >= 0 && c.Stages[c.Current()].Name == "production"
			})
			issues := fake.Issues()
			if len(issues) != 1 || issues[0].Status != "Authorize" || c.Change.Number != "CHG-1" {
				t.Fatalf("issues %+v, change %+v: want CHG-1 awaiting authorization", issues, c.Change)
			}
			h.ticks(ctx, 3)
			if s, _ := h.cycle(ctx, c.ID).Stage("production"); s.Phase != runbooks.PhasePending {
				t.Fatalf("production %s before the approval, want held", s.Phase)
			}

			fake.Approve("CHG-1")
			h.engines = h.jiraEngines(srv.URL, p) // every replica restarts
			c = h.finish(ctx, c.ID)
			issues = fake.Issues()
			if len(issues) != 1 || fake.Count("POST /issue") != 1 {
				t.Fatalf("%d issues after %d creates, want one", len(issues), fake.Count("POST /issue"))
			}
			is := issues[0]
			if is.Status != "Closed" {
				t.Errorf("issue %s, want Closed", is.Status)
			}
			want := []string{"requested: Authorize", "implement: Implementing", "review: Review", "closed: Closed"}
			if !slices.Equal(c.Change.States, want) {
				t.Errorf("states %q, want %q", c.Change.States, want)
			}
			last := jiratest.Text(is.Comments[len(is.Comments)-1])
			if !strings.Contains(last, "Outcome: successful") || !strings.Contains(last, c.Report.Location) {
				t.Errorf("last comment %q: want the outcome and the report's location", last)
			}
			desc := jiratest.Text(mustJSON(t, is.Fields["description"]))
			for _, heading := range []string{"Justification", "Risk and impact", "Implementation plan", "Test plan", "Back-out plan"} {
				if !strings.Contains(desc, heading) {
					t.Errorf("description lacks %q", heading)
				}
			}
			if evs := h.events(ctx, c.ID, runbooks.EvChangeCreated); len(evs) != 1 || evs[0].Data["number"] != "CHG-1" || evs[0].Data["source"] != "jira" {
				t.Errorf("change.created events %+v", evs)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
