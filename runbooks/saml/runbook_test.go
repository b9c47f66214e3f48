package saml

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
)

// fakeChat records what the runbook posted, updated and attached.
type fakeChat struct {
	mu       sync.Mutex
	posts    []*Record
	updates  []*Record
	attached map[string]string // message TS -> file name
}

func (c *fakeChat) PostRunbook(_ context.Context, r *Record) (Ref, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.posts = append(c.posts, r)
	return Ref{Channel: "C1", TS: "ts-" + r.Fingerprint[:8]}, nil
}

func (c *fakeChat) UpdateRunbook(_ context.Context, r *Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.updates = append(c.updates, r)
	return nil
}

func (c *fakeChat) AttachMOP(_ context.Context, r *Record, name string, md []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.attached == nil {
		c.attached = map[string]string{}
	}
	if !strings.Contains(string(md), "## Steps") {
		return os.ErrInvalid
	}
	c.attached[r.Ref.TS] = name
	return nil
}

// fakePager counts triggers and resolves per dedup key.
type fakePager struct {
	mu        sync.Mutex
	triggered map[string]int
	resolved  map[string]int
}

func (p *fakePager) Trigger(_ context.Context, pg runbooks.Page) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.triggered == nil {
		p.triggered = map[string]int{}
	}
	p.triggered[pg.DedupKey]++
	return nil
}
func (p *fakePager) Acknowledge(context.Context, string) error { return nil }
func (p *fakePager) Resolve(_ context.Context, key string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.resolved == nil {
		p.resolved = map[string]int{}
	}
	p.resolved[key]++
	return nil
}

func openStore(t testing.TB) state.Store {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// writeMetadata writes real metadata XML for the given keys to path.
func writeMetadata(t *testing.T, path string, parts ...string) {
	t.Helper()
	if err := writeFile(path, entities(parts...)); err != nil {
		t.Fatal(err)
	}
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o600) }

// TestRunbookWarnPageDedupResolve: generated 45-day and 10-day certificates
// in real metadata produce a warning runbook and a page; a second run the
// same day does nothing; the next day updates in place; renewing one and
// removing the other resolve both (message, page, audit).
func TestRunbookWarnPageDedupResolve(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "idp.xml")
	warn45 := newCertB64(t, "okta-signing-45", 45, 45*day)
	page10 := newCertB64(t, "adfs-signing-10", 10, 10*day)
	writeMetadata(t, file,
		entity("https://okta.bank", keyDesc{"signing", wrap(warn45, 64)}),
		entity("https://adfs.bank", keyDesc{"signing", page10}),
		entity("https://other.bank", keyDesc{"signing", newCertB64(t, "healthy", 365, 365*day)}))
	clock := testkit.NewClock(testNow)
	chat, pager := &fakeChat{}, &fakePager{}
	rb := &Runbook{Store: st, Chat: chat, Pager: pager, Clock: clock,
		Sources: []Source{FileSource{SourceName: "idp", Kind: KindOkta, Integration: "Online banking", Path: file}}}

	res, err := rb.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Errors) != 0 || len(res.Posted) != 2 || res.Paged != 1 || len(res.Findings) != 2 {
		t.Fatalf("first run: posted %d, paged %d, findings %d, errors %v; want 2, 1, 2, none", len(res.Posted), res.Paged, len(res.Findings), res.Errors)
	}
	byLevel := map[string]*Record{}
	for _, r := range res.Posted {
		byLevel[r.Finding.Level] = r
		if r.Ref.TS == "" || chat.attached[r.Ref.TS] == "" {
			t.Errorf("%s: message %q, MOP attached %q", r.Finding.Certificate.Subject, r.Ref.TS, chat.attached[r.Ref.TS])
		}
		if r.Procedure.Kind != KindOkta || len(r.Procedure.Steps) == 0 || r.Finding.Certificate.Integration != "Online banking" {
			t.Errorf("procedure %s with %d steps, integration %q", r.Procedure.Kind, len(r.Procedure.Steps), r.Finding.Certificate.Integration)
		}
	}
	w, p := byLevel[LevelWarn], byLevel[LevelPage]
	if w == nil || p == nil || w.Finding.DaysLeft != 45 || p.Finding.DaysLeft != 10 {
		t.Fatalf("levels: %+v", byLevel)
	}
	if pager.triggered[pageKey(p.Fingerprint)] != 1 || pager.triggered[pageKey(w.Fingerprint)] != 0 {
		t.Errorf("pages = %v: want one for the 10-day certificate only", pager.triggered)
	}

	// Same day again (another replica, or /patch saml): nothing new.
	res, _ = rb.Run(ctx)
	if len(res.Posted)+len(res.Updated) != 0 || res.Skipped != 2 || len(chat.posts) != 2 {
		t.Errorf("second run the same day: posted %d updated %d skipped %d", len(res.Posted), len(res.Updated), res.Skipped)
	}

	// Next day: updated in place (days left), page re-sent on its dedup key.
	clock.Advance(day)
	res, _ = rb.Run(ctx)
	if len(res.Updated) != 2 || len(res.Posted) != 0 || len(chat.posts) != 2 {
		t.Errorf("next day: updated %d posted %d (total posts %d)", len(res.Updated), len(res.Posted), len(chat.posts))
	}
	if got := pager.triggered[pageKey(p.Fingerprint)]; got != 2 {
		t.Errorf("page triggers on the dedup key = %d, want 2 (one per day, same key)", got)
	}

	// The Okta certificate is renewed (new one published beside the old);
	// the AD FS one disappears from the metadata.
	writeMetadata(t, file,
		entity("https://okta.bank", keyDesc{"signing", warn45}, keyDesc{"signing", newCertB64(t, "okta-signing-new", 46, 400*day)}),
		entity("https://other.bank", keyDesc{"signing", newCertB64(t, "healthy", 365, 365*day)}))
	clock.Advance(time.Hour)
	res, _ = rb.Run(ctx)
	if len(res.Resolved) != 2 || len(res.Findings) != 0 {
		t.Fatalf("after renewal: resolved %d, findings %d, errors %v", len(res.Resolved), len(res.Findings), res.Errors)
	}
	for _, r := range res.Resolved {
		want := "no longer published"
		if r.Fingerprint == w.Fingerprint {
			want = "renewed: certificate serial 2e"
		}
		if r.Status != StatusResolved || !strings.Contains(r.Resolution, want) {
			t.Errorf("%s resolved as %q, want %q", r.Finding.Certificate.Subject, r.Resolution, want)
		}
	}
	if pager.resolved[pageKey(p.Fingerprint)] != 1 || pager.resolved[pageKey(w.Fingerprint)] != 0 {
		t.Errorf("page resolves = %v: want the paged certificate's only", pager.resolved)
	}
	last := chat.updates[len(chat.updates)-1]
	if last.Status != StatusResolved {
		t.Errorf("the last message update shows %q, want resolved", last.Status)
	}
	res, _ = rb.Run(ctx)
	if len(res.Resolved) != 0 {
		t.Errorf("resolved again on the next run: %d", len(res.Resolved))
	}
	for _, fp := range []string{w.Fingerprint, p.Fingerprint} {
		v, err := st.Verify(ctx, auditStream(fp))
		if err != nil || !v.OK() || v.Checked < 3 {
			t.Errorf("audit %s: %+v %v", fp, v, err)
		}
	}
}

// TestRunbookFailedSourceKeepsRunbooksOpen: a source that cannot be read is
// reported, and its open runbooks are not declared resolved.
func TestRunbookFailedSourceKeepsRunbooksOpen(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	file := filepath.Join(t.TempDir(), "idp.xml")
	writeMetadata(t, file, entity("https://okta.bank", keyDesc{"signing", newCertB64(t, "w", 1, 30*day)}))
	chat := &fakeChat{}
	rb := &Runbook{Store: st, Chat: chat, Clock: testkit.NewClock(testNow),
		Sources: []Source{FileSource{SourceName: "idp", Path: file}}}
	if res, _ := rb.Run(ctx); len(res.Posted) != 1 || res.Posted[0].Finding.Certificate.Kind != KindGeneric {
		t.Fatalf("posted %+v", res.Posted)
	}
	if err := os.WriteFile(file, []byte("<md:EntityDescriptor"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, _ := rb.Run(ctx)
	if len(res.Scan.Failed) != 1 || res.Scan.Failed[0].Source != "idp" || len(res.Resolved) != 0 {
		t.Fatalf("failed %v, resolved %d: a broken source must be reported and resolve nothing", res.Scan.Failed, len(res.Resolved))
	}
	if !strings.Contains(FormatText(res.Findings, res.Scan, testNow), "FAILED  source idp: saml metadata") {
		t.Errorf("text: %s", FormatText(res.Findings, res.Scan, testNow))
	}
}

// TestRunbookTicks: a tick is recorded with who and when, audited on the
// certificate's chained stream, shown in the message; a second tick of the
// same step and an unknown step are refused.
func TestRunbookTicks(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	file := filepath.Join(t.TempDir(), "idp.xml")
	writeMetadata(t, file, entity("https://okta.bank", keyDesc{"signing", newCertB64(t, "w", 1, 30*day)}))
	chat := &fakeChat{}
	clock := testkit.NewClock(testNow)
	rb := &Runbook{Store: st, Chat: chat, Clock: clock, Sources: []Source{FileSource{SourceName: "idp", Kind: KindAWS, Path: file}}}
	res, _ := rb.Run(ctx)
	rec := res.Posted[0]
	step := rec.Procedure.Steps[1].ID
	clock.Advance(time.Minute)
	got, err := rb.Tick(ctx, rec.Fingerprint, step, "U0SRE00001")
	if err != nil {
		t.Fatal(err)
	}
	if tk, ok := got.Ticked(step); !ok || tk.By != "U0SRE00001" || !tk.At.Equal(testNow.Add(time.Minute)) {
		t.Errorf("tick = %+v %v", tk, ok)
	}
	if u := chat.updates[len(chat.updates)-1]; len(u.Ticks) != 1 {
		t.Errorf("message not updated with the tick: %+v", u.Ticks)
	}
	if _, err := rb.Tick(ctx, rec.Fingerprint, step, "U0OTHER"); runbooks.ErrorCode(err) != runbooks.CodeConflict || !strings.Contains(runbooks.ErrorMessage(err), "<@U0SRE00001>") {
		t.Errorf("second tick: %v", err)
	}
	if _, err := rb.Tick(ctx, rec.Fingerprint, "aws-iam-99", "U0SRE00001"); runbooks.ErrorCode(err) != runbooks.CodeInvalid {
		t.Errorf("unknown step: %v", err)
	}
	if _, err := rb.Tick(ctx, "00", step, "U0SRE00001"); runbooks.ErrorCode(err) != runbooks.CodeNotFound {
		t.Errorf("unknown certificate: %v", err)
	}
	es, err := st.Read(ctx, auditStream(rec.Fingerprint), 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	var ev auditEvent
	if err := json.Unmarshal(es[len(es)-1].Data, &ev); err != nil || ev.Type != "mop.tick" || ev.Step != step || ev.Actor != "U0SRE00001" || ev.StepText == "" {
		t.Errorf("last audit entry = %+v (%v)", ev, err)
	}
	if v, _ := st.Verify(ctx, auditStream(rec.Fingerprint)); !v.OK() {
		t.Errorf("audit chain: %+v", v)
	}
}

// TestRunbookReplicasPostOnce: two runbooks (two replicas) running at once on
// one store post each certificate once.
func TestRunbookReplicasPostOnce(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	file := filepath.Join(t.TempDir(), "idp.xml")
	var parts []string
	for i := range 6 {
		parts = append(parts, entity("https://idp"+string(rune('a'+i))+".bank", keyDesc{"signing", newCertB64(t, "c", int64(i+1), time.Duration(5+i*5)*day)}))
	}
	writeMetadata(t, file, parts...)
	chat, pager := &fakeChat{}, &fakePager{}
	var wg sync.WaitGroup
	for range 2 {
		rb := &Runbook{Store: st, Chat: chat, Pager: pager, Clock: testkit.NewClock(testNow), Sources: []Source{FileSource{SourceName: "idp", Path: file}}}
		wg.Add(1)
		go func() { defer wg.Done(); _, _ = rb.Run(ctx) }()
	}
	wg.Wait()
	if len(chat.posts) != 6 {
		t.Errorf("%d posts for 6 certificates from 2 replicas", len(chat.posts))
	}
	for k, n := range pager.triggered {
		if n != 1 {
			t.Errorf("page %s triggered %d times", k, n)
		}
	}
}

// failingChat refuses the first post, as Slack does when it is down past
// the client's retries.
type failingChat struct {
	fakeChat
	fails int
}

func (c *failingChat) PostRunbook(ctx context.Context, r *Record) (Ref, error) {
	c.mu.Lock()
	if c.fails > 0 {
		c.fails--
		c.mu.Unlock()
		return Ref{}, os.ErrDeadlineExceeded
	}
	c.mu.Unlock()
	return c.fakeChat.PostRunbook(ctx, r)
}

// TestRunbookFailedPostIsRetriedTheSameDay: a runbook whose post failed is
// not counted as handled for the day, so the next run (a /patch saml, or
// the next scheduled firing) posts it, once.
func TestRunbookFailedPostIsRetriedTheSameDay(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	file := filepath.Join(t.TempDir(), "idp.xml")
	writeMetadata(t, file, entity("https://idp.bank", keyDesc{"signing", newCertB64(t, "c", 1, 30*day)}))
	chat := &failingChat{fails: 1}
	rb := &Runbook{Store: st, Chat: chat, Clock: testkit.NewClock(testNow), Sources: []Source{FileSource{SourceName: "idp", Path: file}}}
	res, err := rb.Run(ctx)
	if err != nil || len(res.Errors) != 1 || len(res.Posted) != 0 {
		t.Fatalf("first run: posted %d, errors %v (err %v); want the post's failure reported", len(res.Posted), res.Errors, err)
	}
	res, err = rb.Run(ctx)
	if err != nil || len(res.Posted) != 1 || res.Skipped != 0 {
		t.Fatalf("second run the same day: posted %d, skipped %d, errors %v; want the runbook posted now", len(res.Posted), res.Skipped, res.Errors)
	}
	res, _ = rb.Run(ctx)
	if len(res.Posted)+len(res.Updated) != 0 || res.Skipped != 1 || len(chat.posts) != 1 {
		t.Fatalf("third run: posted %d updated %d skipped %d (posts in all %d); want it skipped as handled today",
			len(res.Posted), len(res.Updated), res.Skipped, len(chat.posts))
	}
}
