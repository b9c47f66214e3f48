package bot

import (
	"fmt"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// inlineFindings is how many hosts a thread message lists; a longer list
// is attached as a CSV file instead of becoming a wall of text.
const inlineFindings = 10

// threadPost is one thread message and the files posted after it.
type threadPost struct {
	msg   message
	files []attachment
}

// notable reports whether an event is worth a thread message of its own.
// The others (a stage opening, approvals, a gate passing, an operation
// starting) show in the root message at once and are folded into the next
// notable message, so a stage costs one or two thread messages however
// many steps it takes.
//
// The report stage's own events are folded into the cycle's completion,
// which the engine records in the very next step, so the report and its
// file arrive with "cycle completed" in one message.
func notable(c *runbooks.Cycle, ev runbooks.Event) bool {
	if governanceLine(ev) != "" {
		return true
	}
	switch ev.Type {
	case runbooks.EvStageDone:
		s, _ := c.Stage(ev.Stage)
		return s == nil || s.Kind != runbooks.KindReport
	case runbooks.EvStageFailed, runbooks.EvGateFailed, runbooks.EvSoakStarted,
		runbooks.EvIncidentOpened, runbooks.EvIncidentResolved, runbooks.EvHalted, runbooks.EvResumed,
		runbooks.EvRetry, runbooks.EvExclusions, runbooks.EvCycleRejected, runbooks.EvCycleCompleted:
		return true
	}
	return rollbackNotable(ev) || deployNotable(ev) || changeNotable(ev.Type) || preventionNotable(ev) || remediationNotable(ev)
}

// renderThread renders events as thread messages: normally one, split
// only if it would pass Slack's 50 blocks. Events of one stage are grouped:
// what happened first, then its gate results, then the hosts at fault.
func renderThread(c *runbooks.Cycle, evs []runbooks.Event) []threadPost {
	var (
		units []threadPost // each a group's blocks and files, packed below
		text  string
	)
	for _, g := range groupByStage(evs) {
		u, first := renderGroup(c, g)
		if len(u.msg.Blocks.BlockSet) == 0 {
			continue
		}
		if text == "" {
			text = first
		}
		units = append(units, u)
	}
	if len(units) == 0 {
		return nil
	}
	var posts []threadPost
	cur := threadPost{}
	for _, u := range units {
		if n := len(cur.msg.Blocks.BlockSet); n > 0 && n+len(u.msg.Blocks.BlockSet) > maxBlocks {
			posts = append(posts, cur)
			cur = threadPost{}
		}
		cur.msg.Blocks.BlockSet = append(cur.msg.Blocks.BlockSet, u.msg.Blocks.BlockSet...)
		cur.files = append(cur.files, u.files...)
	}
	posts = append(posts, cur)
	for i := range posts {
		posts[i].msg.Text = plainText(text)
	}
	return posts
}

// groupByStage cuts events into runs of one stage ("" for the cycle).
func groupByStage(evs []runbooks.Event) [][]runbooks.Event {
	var out [][]runbooks.Event
	for i, ev := range evs {
		if i == 0 || ev.Stage != evs[i-1].Stage {
			out = append(out, nil)
		}
		out[len(out)-1] = append(out[len(out)-1], ev)
	}
	return out
}

// renderGroup renders one stage's events; first is its headline for the
// notification text.
func renderGroup(c *runbooks.Cycle, evs []runbooks.Event) (threadPost, string) {
	var (
		lines, gates []string
		tail         []slack.Block
		files        []attachment
	)
	stage := evs[0].Stage
	failedHere := false
	for _, ev := range evs {
		failedHere = failedHere || ev.Type == runbooks.EvStageFailed
	}
	for _, ev := range evs {
		switch ev.Type {
		case runbooks.EvGatePassed, runbooks.EvGateFailed:
			gates = append(gates, gateLine(ev))
			if ev.Type == runbooks.EvGateFailed && !failedHere {
				fs, ps := faultsOf(c, ev)
				b, f := faultBlocks(c, ev, fs, ps)
				tail, files = append(tail, b...), append(files, f...)
			}
		case runbooks.EvStageFailed:
			lines = append(lines, eventLine(c, ev))
			fs, ps := faultsOf(c, ev)
			b, f := faultBlocks(c, ev, fs, ps)
			tail, files = append(tail, b...), append(files, f...)
		default:
			if l := eventLine(c, ev); l != "" {
				lines = append(lines, l)
			}
		}
	}
	if len(lines) == 0 && len(gates) == 0 {
		return threadPost{}, ""
	}
	if len(lines) == 0 {
		lines = append(lines, "*"+esc(stage)+"*")
	}
	text := strings.Join(append(lines, gates...), "\n")
	blocks := append([]slack.Block{section(text)}, tail...)
	return threadPost{msg: message{Blocks: slack.Blocks{BlockSet: blocks}}, files: files}, lines[0]
}

// gateLine: "✓ sensors — 400 host(s) checked, 0 would lose their EDR sensor".
func gateLine(ev runbooks.Event) string {
	name, summary := ev.Data["gate"], ev.Detail
	if name == "" {
		name, summary, _ = strings.Cut(ev.Detail, ": ")
	} else {
		summary = strings.TrimPrefix(summary, name+": ")
	}
	mark := "✓"
	if ev.Type == runbooks.EvGateFailed {
		mark = "✗"
	}
	return fmt.Sprintf("%s %s gate — %s", mark, esc(name), esc(clip(summary, 300)))
}

// eventLine is the one line an event shows as, or "" for none.
func eventLine(c *runbooks.Cycle, ev runbooks.Event) string {
	if l := governanceLine(ev); l != "" {
		return l
	}
	stage, who, detail := "*"+esc(ev.Stage)+"*", userLink(ev.Actor), esc(clip(ev.Detail, 500))
	switch ev.Type {
	case runbooks.EvStageDone:
		if s, _ := c.Stage(ev.Stage); s != nil {
			switch s.Kind {
			case runbooks.KindPreflight:
				return "✅ " + stage + " passed"
			case runbooks.KindReport:
				return "" // the report.done line says it
			}
			if s.Soak > 0 {
				return fmt.Sprintf("✅ %s done after its %s soak", stage, runbooks.ForPeople(s.Soak))
			}
		}
		return "✅ " + stage + " done"
	case runbooks.EvStageFailed:
		phase := ev.Data["phase"]
		if phase == "" {
			phase = "?"
		}
		return fmt.Sprintf("❌ %s failed at *%s*: %s", stage, esc(phaseName(runbooks.Phase(phase))), detail)
	case runbooks.EvSoakStarted:
		until := strings.TrimPrefix(ev.Detail, "soak until ")
		if s, _ := c.Stage(ev.Stage); s != nil && !s.SoakUntil.IsZero() {
			until = utc(s.SoakUntil)
		}
		return fmt.Sprintf("⏳ %s patched and verified; soaking until %s", stage, esc(until))
	case runbooks.EvIncidentOpened:
		if ev.Detail != "paged" {
			return "🚨 Not paged: " + detail
		}
		return fmt.Sprintf("🚨 On-call paged for %s (incident `%s`)", stage, esc(ev.Data["dedup_key"]))
	case runbooks.EvIncidentAcked:
		return fmt.Sprintf("🔕 Incident `%s` acknowledged", esc(ev.Data["dedup_key"]))
	case runbooks.EvIncidentResolved:
		return fmt.Sprintf("☑️ Incident `%s` resolved", esc(ev.Data["dedup_key"]))
	case runbooks.EvRetry:
		return fmt.Sprintf("🔁 %s retried %s: %s", who, stage, detail)
	case runbooks.EvExclusions:
		return fmt.Sprintf("➖ %s went on with %s %s", who, stage, esc(clip(strings.TrimPrefix(ev.Detail, "proceeding "), 500)))
	case runbooks.EvHalted:
		return fmt.Sprintf("⏸ %s halted the cycle: %s", who, detail)
	case runbooks.EvResumed:
		return fmt.Sprintf("▶️ %s resumed the cycle", who)
	case runbooks.EvCycleRejected:
		l := fmt.Sprintf("⛔ %s rejected the cycle at %s", who, stage)
		if detail != "" {
			l += ": " + detail
		}
		return l
	case runbooks.EvCycleCompleted:
		return "🎉 Cycle completed: every stage is done."
	case runbooks.EvChangeCreated, runbooks.EvChangeTransition, runbooks.EvChangeApproved,
		runbooks.EvChangeRejected, runbooks.EvChangeClosed, runbooks.EvChangeFailed:
		return changeEventLine(ev)
	case runbooks.EvReportDone:
		loc := ev.Data["location"]
		if loc == "" {
			return "📄 " + detail
		}
		l := "📄 Compliance report written: `" + esc(loc) + "`"
		if sum := ev.Data["sha256"]; sum != "" {
			l += " (sha256 `" + esc(clip(sum, 16)) + "`)"
		}
		return l
	}
	if l := deployEventLine(ev); l != "" {
		return l
	}
	if l := preventionEventLine(ev); l != "" {
		return l
	}
	if l := remediationEventLine(ev); l != "" {
		return l
	}
	return rollbackEventLine(ev)
}

// faultsOf finds the hosts and problems behind a failure event: in the
// stage's failure if it is still this one, else in the gate that failed in
// the same step, else the host names the event itself carries.
func faultsOf(c *runbooks.Cycle, ev runbooks.Event) ([]runbooks.Finding, []runbooks.Problem) {
	var (
		fs []runbooks.Finding
		ps []runbooks.Problem
	)
	s, _ := c.Stage(ev.Stage)
	if s != nil && ev.Type == runbooks.EvStageFailed && s.Failure != nil && s.Failure.At.Equal(ev.At) {
		fs = s.Failure.Findings
	}
	if s != nil {
		for i := len(s.Gates) - 1; i >= 0; i-- {
			g := s.Gates[i]
			if !g.Passed && g.At.Equal(ev.At) && (ev.Data["gate"] == "" || ev.Data["gate"] == g.Name) {
				if fs == nil {
					fs = g.Findings
				}
				ps = g.Problems
				break
			}
		}
	}
	if fs == nil && ev.Data["hosts"] != "" {
		for _, n := range strings.Split(ev.Data["hosts"], ", ") {
			fs = append(fs, runbooks.Finding{HostName: n})
		}
	}
	return fs, ps
}

// faultBlocks lists up to inlineFindings hosts (or health problems); a
// longer host list is attached whole as a CSV.
func faultBlocks(c *runbooks.Cycle, ev runbooks.Event, fs []runbooks.Finding, ps []runbooks.Problem) ([]slack.Block, []attachment) {
	var (
		blocks []slack.Block
		files  []attachment
	)
	if len(ps) > 0 {
		lines := make([]string, 0, min(len(ps), inlineFindings))
		for _, p := range ps[:min(len(ps), inlineFindings)] {
			lines = append(lines, "• "+problemLink(p))
		}
		if more := len(ps) - inlineFindings; more > 0 {
			lines = append(lines, fmt.Sprintf("…and %d more open problem(s)", more))
		}
		blocks = append(blocks, section(strings.Join(lines, "\n")))
	}
	if len(fs) == 0 {
		return blocks, nil
	}
	lines := make([]string, 0, min(len(fs), inlineFindings))
	for _, f := range fs[:min(len(fs), inlineFindings)] {
		lines = append(lines, findingLine(f))
	}
	blocks = append(blocks, section(strings.Join(lines, "\n")))
	if len(fs) > inlineFindings {
		what := ev.Data["phase"]
		if what == "" {
			what = ev.Data["gate"]
		}
		f := findingsFile(c, ev.Stage, what, fs)
		files = append(files, f)
		blocks = append(blocks, contextLine(fmt.Sprintf("Showing %d of %s. The full list is attached: `%s`.",
			inlineFindings, nHosts(len(fs)), esc(f.Name))))
	}
	return blocks, files
}

// findingLine: "• `i-0abc` web-01 — kernel 5.14 is not supported by sensor 7.10".
func findingLine(f runbooks.Finding) string {
	var b strings.Builder
	b.WriteString("• ")
	if f.HostID != "" {
		b.WriteString("`" + esc(clip(f.HostID, 80)) + "` ")
	}
	if f.HostName != "" {
		b.WriteString(esc(clip(f.HostName, 80)))
	}
	if f.Reason != "" {
		b.WriteString(" — " + esc(clip(f.Reason, 160)))
	}
	return strings.TrimRight(b.String(), " ")
}

// problemLink links a health problem when its URL is safe to put in a link.
func problemLink(p runbooks.Problem) string {
	title := esc(clip(p.Title, 160))
	if p.URL != "" && (strings.HasPrefix(p.URL, "https://") || strings.HasPrefix(p.URL, "http://")) &&
		!strings.ContainsAny(p.URL, "|<> ") {
		return "<" + p.URL + "|" + title + ">"
	}
	if p.ID != "" {
		return title + " (`" + esc(p.ID) + "`)"
	}
	return title
}
