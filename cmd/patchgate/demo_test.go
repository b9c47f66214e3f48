package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/runbooks"
)

// TestDemoStory runs `patchgate demo --auto`: the real bot on the real
// slack-go client over Socket Mode against the sandbox, with the simulated
// people doing everything through slash commands and button clicks. It
// checks the story the demo must tell: the gates catch the seeded faults,
// the outsider and the requester are refused by ephemeral reply, approvals
// move every cycle to completion, the thread gets its files and the audit
// chains verify.
func TestDemoStory(t *testing.T) {
	var (
		out bytes.Buffer
		sb  *sandbox.Server
	)
	err := runDemo(context.Background(), demoOptions{
		statePath: filepath.Join(t.TempDir(), "state.db"), listen: "127.0.0.1:0",
		soak: time.Second, opTime: 200 * time.Millisecond, auto: true, out: &out,
		ready: func(_ string, s *sandbox.Server, _ *app) { sb = s },
	})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	s := out.String()
	for _, want := range []string{
		"otto (outsider) clicks retry on acme-cu preflight → You are not an approver for this cycle",
		"sam (SRE) clicks proceed-with-exclusions on acme-cu preflight → Proceeding without 3 host(s).",
		"sam (SRE) upgrades the Falcon sensor on bayview-cu-nonprod-db-01",
		"sam (SRE) clicks retry on bayview-cu nonprod → Retrying nonprod from sensors.",
		"otto (outsider) clicks approve on cascade-cu production → You are not an approver for production",
		"rita (requester) clicks approve on cascade-cu production → You requested this cycle, and production needs someone else's approval (four eyes).",
		"carl (CAB) clicks approve on cascade-cu production → Approved production (2/2); its change window is open; it starts now.",
		// 3 gate incidents, and the page for the 10-day SAML certificate; the
		// emergency change backs up and patches two hosts, the remediation one.
		"backups started 12, patches started 12, duplicates 0, incidents opened 4",
		// Acme's staging app breaks once patched: rolled back, then retried.
		"sam (SRE) clicks rollback on acme-cu staging → Requested rollback RB-acme-cu-",
		"sam (SRE) clicks approve on acme-cu rollback → Approved (1/1); restoring",
		"sam (SRE) clicks retry on acme-cu staging → Retrying staging from verify.",
		"rita (requester) types /patch saml → SAML check: 2 certificate(s) of 3 need action; 2 runbook(s) posted, 0 updated, 0 already posted today; 1 paged",
		"sam (SRE) ticks MOP step 1 → Ticked step 1 of the bayview-cu staff portal runbook",
		"sam (SRE) types /patch drift → Drift report posted: 1 workspace(s) drifted, 0 failed, 4 open item(s)",
		"otto (outsider) clicks Remediate → You are not a drift approver",
		"cara (CAB) clicks Ratify → Recorded: ratify on `aws_security_group.web` (acme-cu-network).",
		"sam (SRE) types /patch digest → Status digest posted: 0 active cycle(s). Compliance posture posted: 3 tenant(s).",
		"audit OK:",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("demo output lacks %q", want)
		}
	}
	if n := len(regexp.MustCompile(`(?m)^  \S+ completed: 40 hosts.* 4 file\(s\) in its thread: 1 PDF, 3 CSV$`).FindAllString(s, -1)); n != 3 {
		t.Errorf("%d cycles completed with their report (PDF and CSVs) in the thread, want 3\n%s", n, s)
	}

	// What Slack itself holds: one root message per cycle, details in
	// threads, refusals only as ephemerals to the people refused.
	roots, checks := splitDaily(sb.Messages(demoChannel))
	checkDailyPosts(t, checks)
	roots, rollbacks := splitRollbacks(roots)
	if len(rollbacks) != 1 || len(rollbacks[0].Replies) == 0 {
		t.Errorf("%d rollback messages, want acme-cu's one with its thread", len(rollbacks))
	}
	// Each cycle's thread holds its compliance PDF and the hosts CSV of
	// the evidence bundle, as files (not links).
	inThread := map[string]string{} // thread ts + file name → first bytes
	pdfs := map[string][]byte{}     // thread ts + file name → the whole PDF
	for _, f := range sb.Files() {
		if f.Channel == demoChannel && len(f.Content) > 8 {
			inThread[f.ThreadTS+" "+f.Name] = string(f.Content[:8])
			if strings.HasSuffix(f.Name, ".pdf") {
				pdfs[f.ThreadTS+" "+f.Name] = f.Content
			}
		}
	}
	roots = checkEpisodes(t, s, sb, roots, pdfs)
	if len(roots) != 3 {
		t.Errorf("%d top-level messages in the cycles channel, want one per cycle (3)", len(roots))
	}
	for _, m := range roots {
		id := regexp.MustCompile(`[a-z]+-cu-\d{8}-\d{4}-[0-9a-f]+`).FindString(m.Text)
		if id == "" {
			t.Errorf("root message %s names no cycle: %q", m.TS, m.Text)
			continue
		}
		if got := inThread[m.TS+" "+id+"-compliance.pdf"]; !strings.HasPrefix(got, "%PDF-") {
			t.Errorf("cycle %s: no compliance PDF in its thread (%q)", id, got)
		} else {
			checkSimulatedMarking(t, id, pdfs[m.TS+" "+id+"-compliance.pdf"])
		}
		if got := inThread[m.TS+" "+id+"-report-hosts.csv"]; got != "host_id," {
			t.Errorf("cycle %s: no hosts.csv in its thread (%q)", id, got)
		}
	}
	checkDemoPeople(t, pdfs)
	checkDemoRollbackSection(t, pdfs)
	for _, m := range roots {
		if len(m.Replies) == 0 || m.Edited == 0 {
			t.Errorf("root message %s: %d thread replies, %d edits; want details in the thread and updates in place", m.TS, len(m.Replies), m.Edited)
		}
		if strings.Contains(m.Text, "not an approver") {
			t.Errorf("a refusal reached the channel: %q", m.Text)
		}
		// The root links the cycle's change record in the simulated
		// ServiceNow (its last edit may still be on its way when the story
		// ends); the thread announced its opening and closing.
		unescape := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">").Replace
		if !regexp.MustCompile(`\*Change\*\\nServiceNow <http://127\.0\.0\.1:\d+/change_request\.do\?sys_id=[0-9a-f]+\|CHG\d{7}> · \w+ · approval Approved`).MatchString(unescape(string(m.Blocks))) {
			t.Errorf("root message %s does not link its closed change record: %s", m.TS, m.Blocks)
		}
		var thread strings.Builder
		for _, r := range m.Replies {
			thread.WriteString(unescape(string(r.Blocks)))
		}
		if !strings.Contains(thread.String(), "change <http://127.0.0.1") || !strings.Contains(thread.String(), "closed successful") {
			t.Errorf("thread of %s does not announce the change record's opening and closing", m.TS)
		}
	}
	var refusals int
	for _, e := range sb.Ephemerals(demoOutsider) {
		if strings.Contains(e.Text, "not an approver") {
			refusals++
		}
	}
	if refusals < 5 {
		t.Errorf("outsider got %d refusals by ephemeral reply, want 5 (2 retries, 3 approvals)", refusals)
	}
}

// splitDaily separates the daily-check posts (SAML runbooks, the drift
// digest, the status digest) from the cycles' root messages.
func splitDaily(msgs []sandbox.Message) (roots, checks []sandbox.Message) {
	for _, m := range msgs {
		switch {
		case strings.HasPrefix(m.Text, "SAML certificate"), strings.HasPrefix(m.Text, "Terraform drift report"),
			strings.HasPrefix(m.Text, "Active patch cycles"), strings.HasPrefix(m.Text, "Compliance posture"):
			checks = append(checks, m)
		default:
			roots = append(roots, m)
		}
	}
	return roots, checks
}

// checkDailyPosts: the seeded 45- and 10-day certificates each got a
// runbook with its MOP checklist and the MOP file in the thread (the ticked
// one updated in place), the drift digest lists the recorded console drift
// with Ratify/Remediate buttons, and the status digest was posted.
func checkDailyPosts(t *testing.T, msgs []sandbox.Message) {
	t.Helper()
	var runbooks, digests, status, posture int
	for _, m := range msgs {
		blocks := string(m.Blocks)
		switch {
		case strings.HasPrefix(m.Text, "SAML certificate expires in 45 days: Online banking"),
			strings.HasPrefix(m.Text, "SAML certificate expires in 10 days: bayview-cu staff portal"):
			runbooks++
			if !strings.Contains(blocks, bot.ActionSAMLTick) || len(m.Files)+len(m.Replies) == 0 {
				t.Errorf("runbook %q: no tickable steps or no MOP in its thread", m.Text)
			}
			if strings.Contains(m.Text, "10 days") && m.Edited == 0 {
				t.Errorf("the ticked runbook was not updated in place")
			}
		case strings.HasPrefix(m.Text, "Terraform drift report"):
			digests++
			if !strings.Contains(blocks, "aws_security_group.web") || !strings.Contains(blocks, bot.ActionDriftRatify) ||
				!strings.Contains(blocks, "cascade-cu") && hasTerraform() {
				t.Errorf("drift digest lacks the seeded drift, its buttons or the real terraform workspace: %s", blocks)
			}
		case strings.HasPrefix(m.Text, "Active patch cycles"):
			status++
		case strings.HasPrefix(m.Text, "Compliance posture"):
			posture++
			// Every demo tenant finished a cycle with a report, so each
			// has a rate; acme-cu's excluded hosts leave an exception.
			for _, want := range []string{"Acme Credit Union", "Bayview Credit Union", "Cascade Credit Union", "%", "6.3.3"} {
				if !strings.Contains(blocks, want) {
					t.Errorf("posture digest lacks %q: %s", want, blocks)
				}
			}
		}
	}
	if posture != 1 {
		t.Errorf("%d posture digests, want 1", posture)
	}
	if runbooks != 2 || digests != 1 || status != 1 {
		t.Errorf("daily-check posts: %d runbooks, %d drift digests, %d status digests; want 2, 1, 1", runbooks, digests, status)
	}
}

func hasTerraform() bool { _, err := exec.LookPath("terraform"); return err == nil }

// checkSimulatedMarking reads a demo PDF page by page: the demo runs on the
// simulated fleet, so every page must say it is not audit evidence.
func checkSimulatedMarking(t *testing.T, cycle string, pdf []byte) {
	t.Helper()
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("PATCHGATE_REQUIRE_SERVICES") != "" {
			t.Fatalf("pdftotext is required: %v", err)
		}
		t.Logf("pdftotext not installed: the SIMULATED marking of %s is not checked", cycle)
		return
	}
	path := filepath.Join(t.TempDir(), cycle+".pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	all, err := exec.Command(pdftotext, path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	pages := strings.Count(string(all), "\f")
	if pages == 0 {
		t.Fatalf("cycle %s: the PDF has no pages", cycle)
	}
	for n := 1; n <= pages; n++ {
		p := strconv.Itoa(n)
		out, err := exec.Command(pdftotext, "-f", p, "-l", p, path, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext -f %s -l %s: %v", p, p, err)
		}
		if !strings.Contains(string(out), runbooks.SimulatedMarking) {
			t.Errorf("cycle %s: page %d of %d of the demo's PDF does not say %q", cycle, n, pages, runbooks.SimulatedMarking)
		}
	}
}
