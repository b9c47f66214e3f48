package bot

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in bot/testdata")

// goldenMessage is what a golden file holds: the message as sent, and the
// files posted after it.
type goldenMessage struct {
	Text   string       `json:"text"`
	Blocks slack.Blocks `json:"blocks"`
	Files  []goldenFile `json:"files,omitempty"`
}

type goldenFile struct {
	Name  string `json:"name"`
	Title string `json:"title"`
	Bytes int    `json:"bytes"`
}

// checkGolden compares got with testdata/name, or rewrites it with -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./bot -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; review the change and run go test ./bot -update\ngot:\n%s", path, got)
	}
}

func goldenJSON(t *testing.T, g goldenMessage) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(g); err != nil {
		t.Fatal(err)
	}
	// slack.Blocks marshals itself with HTML escaping; undo it inside the
	// strings so a reviewer reads <@U0ALICE>, not \u003c@U0ALICE\u003e.
	return []byte(strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(buf.String()))
}

var fxView = rootView{Tenant: "Acme Credit Union", Now: fxAt(3*time.Hour + 7*time.Minute)}

func TestRootMessageGolden(t *testing.T) {
	cases := []struct {
		name string
		make func() (*runbooks.Cycle, rootView)
	}{
		{"root-preflight-running", func() (*runbooks.Cycle, rootView) {
			c := fxCycleAt("preflight", runbooks.PhaseInventory)
			c.Scope, c.Revision = runbooks.Scope{}, 2
			v := fxView
			v.Now = fxAt(time.Minute)
			return c, v
		}},
		{"root-awaiting-approval-0of2", func() (*runbooks.Cycle, rootView) {
			return fxCycleAt("production", runbooks.PhaseApproval), fxView
		}},
		{"root-awaiting-approval-1of2", func() (*runbooks.Cycle, rootView) {
			c := fxCycleAt("production", runbooks.PhaseApproval)
			c.Stages[3].Approvals = []runbooks.Approval{{By: fxAlice, At: fxAt(3 * time.Hour)}}
			c.Revision = 31
			return c, fxView
		}},
		{"root-failed-with-findings", func() (*runbooks.Cycle, rootView) {
			c, _ := fxFailed(runbooks.PhaseSensors, 3, "1,200 host(s) checked, 3 would lose their EDR sensor",
				"3 host(s) would get a kernel their EDR sensor does not support", "kernel 5.14.0-503 is not supported by Falcon sensor 7.18")
			return c, fxView
		}},
		{"root-halted", func() (*runbooks.Cycle, rootView) {
			c := fxCycleAt("staging", runbooks.PhaseBackup)
			s := &c.Stages[2]
			s.Approvals = []runbooks.Approval{{By: fxAlice, At: fxAt(2 * time.Hour)}}
			s.Backup = runbooks.Op{Tag: "t", Handle: "backup-1", Total: 400, Succeeded: 120, Started: fxAt(2 * time.Hour)}
			c.Status = runbooks.StatusHalted
			c.Halt = &runbooks.Halt{By: fxBob, At: fxAt(3 * time.Hour), Reason: "change freeze: core banking release tonight"}
			return c, fxView
		}},
		{"root-soaking", func() (*runbooks.Cycle, rootView) {
			c := fxCycleAt("staging", runbooks.PhaseSoak)
			s := &c.Stages[2]
			s.Approvals = []runbooks.Approval{{By: fxAlice, At: fxAt(2 * time.Hour)}}
			s.SoakUntil = fxAt(2*time.Hour + 40*time.Minute + 24*time.Hour)
			return c, fxView
		}},
		{"root-awaiting-window", func() (*runbooks.Cycle, rootView) {
			c := fxCycleAt("production", runbooks.PhaseWindow)
			s := &c.Stages[3]
			s.Approvals = []runbooks.Approval{{By: fxAlice, At: fxAt(3 * time.Hour)}, {By: fxBob, At: fxAt(3 * time.Hour)}}
			s.Window, s.WindowWait = "SUN 02:00-06:00 America/Chicago", time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
			return c, fxView
		}},
		{"root-frozen", func() (*runbooks.Cycle, rootView) {
			c := fxCycleAt("production", runbooks.PhasePatch)
			s := &c.Stages[3]
			s.Approvals = []runbooks.Approval{{By: fxAlice, At: fxAt(3 * time.Hour)}, {By: fxBob, At: fxAt(3 * time.Hour)}}
			s.Backup = runbooks.Op{Handle: "backup-2", Total: 1200, Succeeded: 1200, Done: true}
			c.Frozen = &runbooks.Freeze{Tenant: runbooks.FreezeAll, Until: fxAt(48 * time.Hour), Reason: "INC-7 <declared>", Source: runbooks.FreezeCommand, By: fxBob}
			return c, fxView
		}},
		{"root-patching", func() (*runbooks.Cycle, rootView) {
			c := fxCycleAt("production", runbooks.PhasePatch)
			s := &c.Stages[3]
			s.Approvals = []runbooks.Approval{{By: fxAlice, At: fxAt(3 * time.Hour)}, {By: fxBob, At: fxAt(3 * time.Hour)}}
			s.Backup = runbooks.Op{Handle: "backup-2", Total: 1200, Succeeded: 1200, Done: true}
			s.Patch = runbooks.Op{Handle: "patch-2", Total: 1200, Succeeded: 809, Failed: 3}
			return c, fxView
		}},
		{"root-completed", func() (*runbooks.Cycle, rootView) {
			c := fxCycleAt("none", runbooks.PhaseDone)
			c.Status, c.Ended, c.Revision = runbooks.StatusCompleted, fxAt(29*time.Hour), 48
			c.Report = &runbooks.Report{Location: "reports/acme-cu-20261122-0200-a1b2c3.pdf", At: fxAt(29 * time.Hour)}
			v := fxView
			v.Now = fxAt(29 * time.Hour)
			return c, v
		}},
		{"root-rejected", func() (*runbooks.Cycle, rootView) {
			c := fxCycleAt("production", runbooks.PhaseApproval)
			c.Status, c.Ended, c.Revision = runbooks.StatusRejected, fxAt(3*time.Hour), 31
			v := fxView
			v.Closed = &closeNote{By: fxBob, Stage: "production", Reason: "change window closed"}
			return c, v
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, v := tc.make()
			m := renderRoot(c, v)
			checkBlockLimits(t, m)
			checkGolden(t, tc.name+".golden.json", goldenJSON(t, goldenMessage{Text: m.Text, Blocks: m.Blocks}))
		})
	}
}

func TestThreadMessageGolden(t *testing.T) {
	cases := []struct {
		name string
		make func() (*runbooks.Cycle, []runbooks.Event)
	}{
		{"thread-gate-passed", fxNonprodDone},
		{"thread-gate-failed-3-findings", func() (*runbooks.Cycle, []runbooks.Event) {
			return fxFailed(runbooks.PhaseSensors, 3, "1,200 host(s) checked, 3 would lose their EDR sensor",
				"3 host(s) would get a kernel their EDR sensor does not support", "kernel 5.14.0-503 is not supported by Falcon sensor 7.18")
		}},
		{"thread-failed-25-findings", func() (*runbooks.Cycle, []runbooks.Event) {
			return fxFailed(runbooks.PhasePatch, 25, "1,175/1,200 succeeded, 25 failed",
				"patch failed on 25 host(s)", "RunPatchBaseline exit 1: yum lock held by another process")
		}},
		{"thread-incident-paged", func() (*runbooks.Cycle, []runbooks.Event) {
			c, _ := fxFailed(runbooks.PhaseSensors, 3, "", "3 host(s) would get a kernel their EDR sensor does not support", "x")
			return c, []runbooks.Event{fxEvent(23, fxAt(76*time.Minute), "nonprod", runbooks.EvIncidentOpened, runbooks.ActorSystem,
				"paged", map[string]string{"dedup_key": runbooks.IncidentKey(fxCycle, "nonprod")})}
		}},
		{"thread-report-done", func() (*runbooks.Cycle, []runbooks.Event) {
			c := fxCycleAt("none", runbooks.PhaseDone)
			c.Status, c.Ended = runbooks.StatusCompleted, fxAt(29*time.Hour)
			at := fxAt(29 * time.Hour)
			return c, []runbooks.Event{
				fxEvent(45, at, "report", runbooks.EvReportDone, runbooks.ActorSystem, "report at reports/acme-cu-20261122-0200-a1b2c3.pdf",
					map[string]string{"location": "reports/acme-cu-20261122-0200-a1b2c3.pdf", "sha256": "9f2c4e7a1b3d5f6e8a0c2e4f6a8b0d2e4f6a8b0c"}),
				fxEvent(46, at, "report", runbooks.EvStageDone, runbooks.ActorSystem, "", nil),
				fxEvent(47, at, "", runbooks.EvCycleCompleted, runbooks.ActorSystem, "all stages done", nil),
			}
		}},
		{"thread-rejected", func() (*runbooks.Cycle, []runbooks.Event) {
			c := fxCycleAt("production", runbooks.PhaseApproval)
			c.Status = runbooks.StatusRejected
			return c, []runbooks.Event{fxEvent(31, fxAt(3*time.Hour), "production", runbooks.EvCycleRejected, fxBob, "change window closed", nil)}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, evs := tc.make()
			posts := renderThread(c, evs)
			if len(posts) != 1 {
				t.Fatalf("%d thread messages, want 1", len(posts))
			}
			p := posts[0]
			checkBlockLimits(t, p.msg)
			g := goldenMessage{Text: p.msg.Text, Blocks: p.msg.Blocks}
			for _, f := range p.files {
				g.Files = append(g.Files, goldenFile{Name: f.Name, Title: f.Title, Bytes: len(f.Content)})
				checkGolden(t, tc.name+".csv", f.Content)
			}
			checkGolden(t, tc.name+".golden.json", goldenJSON(t, g))
		})
	}
}

// fxNonprodDone is nonprod finishing: the gates it passed on the way were
// minor events folded into this one message.
func fxNonprodDone() (*runbooks.Cycle, []runbooks.Event) {
	c := fxCycleAt("staging", runbooks.PhaseApproval)
	gate := func(seq int64, min time.Duration, name, summary string) runbooks.Event {
		return fxEvent(seq, fxAt(min), "nonprod", runbooks.EvGatePassed, runbooks.ActorSystem, name+": "+summary,
			map[string]string{"gate": name, "findings": "0"})
	}
	ev := func(seq int64, min time.Duration, typ, detail string) runbooks.Event {
		return fxEvent(seq, fxAt(min), "nonprod", typ, runbooks.ActorSystem, detail, nil)
	}
	return c, []runbooks.Event{
		gate(12, 61*time.Minute, "sensors", "400 host(s) checked, 0 would lose their EDR sensor"),
		ev(13, 61*time.Minute, runbooks.EvBackupStarted, "backup started on 400 host(s)"),
		gate(14, 70*time.Minute, "backup", "380 images, 20 database snapshots made, 0 failed"),
		ev(15, 70*time.Minute, runbooks.EvBackupDone, "backup done: 380 images, 20 database snapshots"),
		ev(16, 70*time.Minute, runbooks.EvPatchStarted, "patch started on 400 host(s)"),
		gate(17, 95*time.Minute, "patch", "400/400 succeeded, 0 failed"),
		ev(18, 95*time.Minute, runbooks.EvPatchDone, "patch done on 400 host(s)"),
		gate(19, 97*time.Minute, "verify", "400 host(s) verified, 0 problem(s)"),
		ev(20, 97*time.Minute, runbooks.EvStageDone, ""),
	}
}

func TestFindingsCSVIsSafe(t *testing.T) {
	got := string(findingsCSV([]runbooks.Finding{
		{HostID: "i-1", HostName: "=HYPERLINK(\"http://x\")", Reason: "a, \"quoted\" reason"},
		{HostID: "@sum", HostName: "+1", Reason: "-2"},
	}))
	want := "host_id,host_name,reason\n" +
		"i-1,\"'=HYPERLINK(\"\"http://x\"\")\",\"a, \"\"quoted\"\" reason\"\n" +
		"'@sum,'+1,'-2\n"
	if got != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, want)
	}
}

func TestRenderEscapesMrkdwn(t *testing.T) {
	c, evs := fxFailed(runbooks.PhaseSensors, 1, "s", "r", "<!channel> & <https://evil|click>")
	m := renderThread(c, evs)[0].msg
	b, _ := json.Marshal(m.Blocks)
	if strings.Contains(string(b), "<!channel>") || strings.Contains(string(b), "<https://evil") {
		t.Errorf("a host's reason reached Slack unescaped: %s", b)
	}
}

func TestThreadSplitsPastFiftyBlocks(t *testing.T) {
	c := fxCycleAt("nonprod", runbooks.PhaseFailed)
	var evs []runbooks.Event
	for i := range 60 { // alternating stages make 60 groups of one block
		stage := []string{"nonprod", "staging"}[i%2]
		evs = append(evs, fxEvent(int64(i+1), fxStart, stage, runbooks.EvHalted, fxAlice, fmt.Sprint("halt ", i), nil))
	}
	posts := renderThread(c, evs)
	if len(posts) != 2 {
		t.Fatalf("%d posts, want 2", len(posts))
	}
	for _, p := range posts {
		checkBlockLimits(t, p.msg)
	}
}

// checkBlockLimits holds a message to Slack's documented Block Kit limits.
func checkBlockLimits(t *testing.T, m message) {
	t.Helper()
	if n := len(m.Blocks.BlockSet); n == 0 || n > maxBlocks {
		t.Errorf("%d blocks, want 1..%d", n, maxBlocks)
	}
	if m.Text == "" {
		t.Error("no notification text")
	}
	for _, b := range m.Blocks.BlockSet {
		switch b := b.(type) {
		case *slack.HeaderBlock:
			if n := len([]rune(b.Text.Text)); n > maxHeaderChars || b.Text.Type != slack.PlainTextType {
				t.Errorf("header %q: %d chars, type %s", b.Text.Text, n, b.Text.Type)
			}
		case *slack.SectionBlock:
			if b.Text != nil && len([]rune(b.Text.Text)) > maxSectionChars {
				t.Errorf("section of %d chars", len([]rune(b.Text.Text)))
			}
			if len(b.Fields) > 10 {
				t.Errorf("%d fields", len(b.Fields))
			}
			for _, f := range b.Fields {
				if len([]rune(f.Text)) > maxFieldChars {
					t.Errorf("field of %d chars", len([]rune(f.Text)))
				}
			}
		case *slack.ActionBlock:
			if n := len(b.Elements.ElementSet); n == 0 || n > 25 {
				t.Errorf("%d action elements", n)
			}
			for _, e := range b.Elements.ElementSet {
				btn, ok := e.(*slack.ButtonBlockElement)
				if !ok {
					t.Errorf("unexpected element %T", e)
					continue
				}
				if len([]rune(btn.Text.Text)) > 75 || len(btn.Value) > 2000 || len(btn.ActionID) > 255 {
					t.Errorf("button %q over Slack's limits", btn.Text.Text)
				}
				if isDailyAction(btn.ActionID) {
					continue // their values are not cycle buttons
				}
				if _, err := DecodeButtonValue(btn.Value); err != nil {
					t.Errorf("button %q: %v", btn.Text.Text, err)
				}
			}
		case *slack.ContextBlock, *slack.DividerBlock:
		default:
			t.Errorf("unexpected block %T", b)
		}
	}
}

// TestSoakDoneLineRoundsForPeople: a demo soak measured to the nanosecond
// reads as whole units in the thread.
func TestSoakDoneLineRoundsForPeople(t *testing.T) {
	c := &runbooks.Cycle{ID: "c1", Stages: []runbooks.Stage{{Name: "staging", Kind: runbooks.KindEnvironment,
		Soak: 2*time.Minute + 229212298*time.Nanosecond}}}
	got := eventLine(c, runbooks.Event{Type: runbooks.EvStageDone, Stage: "staging"})
	if want := "✅ *staging* done after its 2m soak"; got != want {
		t.Errorf("stage.done line %q, want %q", got, want)
	}
	now := time.Date(2026, 11, 22, 6, 0, 0, 0, time.UTC)
	if got, want := left(now, now.Add(22*time.Hour+30*time.Second)), "22h1m left"; got != want {
		t.Errorf("countdown %q, want %q", got, want)
	}
}
