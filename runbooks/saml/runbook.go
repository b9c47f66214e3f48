package saml

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// Chat shows runbooks to people: one message per certificate, updated in
// place (days left, ticked steps, resolution), with the MOP attached as a
// Markdown file in its thread.
type Chat interface {
	PostRunbook(ctx context.Context, r *Record) (Ref, error)
	UpdateRunbook(ctx context.Context, r *Record) error
	AttachMOP(ctx context.Context, r *Record, name string, markdown []byte) error
}

// Runbook is the daily SAML certificate check: scan the sources, post a
// runbook for each certificate below the warning threshold (once per
// certificate per day, across replicas), page below the page threshold, and
// resolve runbooks whose certificate was renewed or is gone.
type Runbook struct {
	Store      state.Store
	Chat       Chat
	Pager      runbooks.Pager // nil: no paging
	Sources    []Source
	Thresholds Thresholds
	Clock      runbooks.Clock // nil: the wall clock
	Log        *slog.Logger   // nil: discarded
	// Holder names this process in the per-certificate lease; empty picks
	// a random name (two live processes must never share one).
	Holder string

	holderOnce sync.Once
}

// leaseTTL bounds how long one certificate's daily handling may take (a
// post, an upload, a page, each retried by its client) before another
// replica may take it over.
const leaseTTL = 5 * time.Minute

func (r *Runbook) holder() string {
	r.holderOnce.Do(func() {
		if r.Holder == "" {
			b := make([]byte, 6)
			_, _ = rand.Read(b)
			r.Holder = "saml-" + hex.EncodeToString(b)
		}
	})
	return r.Holder
}

// Result is what one run did.
type Result struct {
	Scan     ScanResult
	Findings []Finding // current findings, most urgent first
	// NotYetValid are the scanned certificates whose validity has not
	// started (see NotYetValid).
	NotYetValid []Certificate
	Posted      []*Record // runbooks posted for the first time
	Updated     []*Record // runbooks updated for a new day
	Skipped     int       // findings already handled today (by this or another replica)
	Resolved    []*Record
	Paged       int
	// Errors are per-certificate failures (chat, pager, store); the run goes
	// on past them so one bad certificate does not hide the others.
	Errors []error
}

func (r *Runbook) now() time.Time {
	if r.Clock == nil {
		return time.Now()
	}
	return r.Clock.Now()
}

func (r *Runbook) log() *slog.Logger {
	if r.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return r.Log
}

// Run scans and acts. It returns an error only when the store cannot be
// listed; everything else is in Result.
func (r *Runbook) Run(ctx context.Context) (Result, error) {
	now := r.now()
	var res Result
	res.Scan, res.Findings = Check(ctx, r.Sources, r.Thresholds, now)
	renewed := renewedAt(now, r.Thresholds.withDefaults())
	res.NotYetValid = NotYetValid(res.Scan.Certificates, now)
	current := map[string]bool{}
	for _, f := range res.Findings {
		fp := FingerprintKey(f.Certificate.SHA256)
		current[fp] = true
		if err := r.handle(ctx, f, fp, now, &res); err != nil {
			res.Errors = append(res.Errors, err)
		}
	}
	recs, err := r.Store.List(ctx, recordPrefix())
	if err != nil {
		return res, fmt.Errorf("list saml runbooks: %w", err)
	}
	for _, sr := range recs {
		rec, err := decodeRecord(sr.Value)
		if err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("decode %s: %w", sr.Key, err))
			continue
		}
		c := rec.Finding.Certificate
		if rec.Status != StatusOpen || current[rec.Fingerprint] || !res.Scan.Read[c.SourceName] {
			continue // still current, or its source did not answer: leave it open
		}
		why := "no longer published by " + c.SourceName
		if s, ok := successor(c, res.Scan.Certificates, renewed); ok {
			why = fmt.Sprintf("renewed: certificate serial %s is valid until %s", s.Serial, s.NotAfter.UTC().Format("2006-01-02"))
		}
		done, err := r.resolve(ctx, rec.Fingerprint, why, now)
		if err != nil {
			res.Errors = append(res.Errors, err)
		} else if done != nil {
			res.Resolved = append(res.Resolved, done)
		}
	}
	return res, nil
}

// handle posts or updates one finding's runbook once per day.
func (r *Runbook) handle(ctx context.Context, f Finding, fp string, now time.Time, res *Result) error {
	if len(fp) != 64 {
		// A Source must pass certificates through ParseMetadata (or fill
		// SHA256 itself): the fingerprint is the runbook's identity.
		return fmt.Errorf("certificate %q from source %s has no SHA-256 fingerprint", f.Certificate.Subject, f.Certificate.SourceName)
	}
	// One replica at a time handles a certificate, and a day counts as
	// handled only once its runbook was posted or updated (and paged): a
	// failed post is tried again by the next run, not a day later.
	lease, err := r.Store.AcquireLease(ctx, leaseKey(fp), r.holder(), leaseTTL)
	if errors.Is(err, state.ErrLeaseHeld) {
		res.Skipped++ // another replica is handling it right now
		return nil
	}
	if err != nil {
		return fmt.Errorf("lease %s: %w", leaseKey(fp), err)
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = r.Store.ReleaseLease(rctx, lease)
	}()
	today := dayOf(now)
	if cur, _, _, err := loadRecord(ctx, r.Store, fp); err != nil {
		return err
	} else if cur != nil && cur.HandledDay == today && cur.Status == StatusOpen {
		res.Skipped++
		return nil
	}
	if err := r.post(ctx, f, fp, now, res); err != nil {
		return err
	}
	_, err = modify(ctx, r.Store, fp, func(cur *Record) (*Record, error) {
		next := *cur
		next.HandledDay = today
		return &next, nil
	})
	return err
}

// post posts (or updates) one finding's runbook, records it in the audit
// log and pages below the page threshold.
func (r *Runbook) post(ctx context.Context, f Finding, fp string, now time.Time, res *Result) error {
	c := f.Certificate
	proc := MOP(c.Kind, f, c.Integration)
	rec, err := modify(ctx, r.Store, fp, func(cur *Record) (*Record, error) {
		if cur == nil {
			return &Record{Fingerprint: fp, Finding: f, Procedure: proc, Status: StatusOpen, FirstSeen: now, LastSeen: now}, nil
		}
		next := *cur
		next.Finding, next.Procedure, next.LastSeen = f, proc, now
		next.Status, next.Resolution, next.ResolvedAt = StatusOpen, "", time.Time{}
		return &next, nil
	})
	if err != nil {
		return err
	}
	days := f.DaysLeft
	ev := auditEvent{Type: "runbook.updated", Subject: c.Subject, NotAfter: c.NotAfter, DaysLeft: &days, Detail: f.Level, At: now}
	if rec.Ref.TS == "" {
		ref, err := r.Chat.PostRunbook(ctx, rec)
		if err != nil {
			return fmt.Errorf("post the runbook of %s (%s): %w", c.Subject, fp, err)
		}
		rec, err = modify(ctx, r.Store, fp, func(cur *Record) (*Record, error) {
			next := *cur
			next.Ref = ref
			return &next, nil
		})
		if err != nil {
			return err
		}
		ev.Type = "runbook.posted"
		res.Posted = append(res.Posted, rec)
		name := fmt.Sprintf("mop-%s-%s.md", c.Kind, fp[:12])
		if err := r.Chat.AttachMOP(ctx, rec, name, []byte(rec.Procedure.Markdown())); err != nil {
			res.Errors = append(res.Errors, fmt.Errorf("attach the MOP of %s: %w", fp, err))
		}
	} else {
		if err := r.Chat.UpdateRunbook(ctx, rec); err != nil {
			return fmt.Errorf("update the runbook of %s (%s): %w", c.Subject, fp, err)
		}
		res.Updated = append(res.Updated, rec)
	}
	if err := appendAudit(ctx, r.Store, fp, ev); err != nil {
		return err
	}
	if f.Level == LevelWarn || r.Pager == nil {
		return nil
	}
	return r.page(ctx, rec, now, res)
}

// page triggers (idempotently, per certificate) an incident.
func (r *Runbook) page(ctx context.Context, rec *Record, now time.Time, res *Result) error {
	f := rec.Finding
	c := f.Certificate
	p := runbooks.Page{
		DedupKey: pageKey(rec.Fingerprint),
		Summary:  fmt.Sprintf("SAML certificate for %s expires in %d days (%s)", c.Integration, f.DaysLeft, c.NotAfter.UTC().Format("2006-01-02")),
		Severity: runbooks.SeverityCritical,
		Details: map[string]string{
			"provider": kindName(c.Kind), "integration": c.Integration, "subject": c.Subject,
			"serial": c.Serial, "not_after": c.NotAfter.UTC().Format(time.RFC3339), "source": c.SourceName,
		},
	}
	if err := r.Pager.Trigger(ctx, p); err != nil {
		return fmt.Errorf("page for %s: %w", rec.Fingerprint, err)
	}
	res.Paged++
	if !rec.Paged {
		if _, err := modify(ctx, r.Store, rec.Fingerprint, func(cur *Record) (*Record, error) {
			next := *cur
			next.Paged = true
			return &next, nil
		}); err != nil {
			return err
		}
	}
	return appendAudit(ctx, r.Store, rec.Fingerprint, auditEvent{Type: "paged", Detail: p.Summary, At: now})
}

// resolve closes an open runbook; of racing replicas, only the one whose
// write wins updates the message and the pager.
func (r *Runbook) resolve(ctx context.Context, fp, why string, now time.Time) (*Record, error) {
	rec, err := modify(ctx, r.Store, fp, func(cur *Record) (*Record, error) {
		if cur == nil || cur.Status != StatusOpen {
			return nil, nil
		}
		next := *cur
		next.Status, next.Resolution, next.ResolvedAt = StatusResolved, why, now
		return &next, nil
	})
	if err != nil || rec == nil {
		return nil, err
	}
	var errs []error
	if rec.Ref.TS != "" {
		if err := r.Chat.UpdateRunbook(ctx, rec); err != nil {
			errs = append(errs, fmt.Errorf("mark the runbook of %s resolved: %w", fp, err))
		}
	}
	if rec.Paged && r.Pager != nil {
		if err := r.Pager.Resolve(ctx, pageKey(fp)); err != nil {
			errs = append(errs, fmt.Errorf("resolve the page of %s: %w", fp, err))
		}
	}
	if err := appendAudit(ctx, r.Store, fp, auditEvent{Type: "resolved", Detail: why, At: now}); err != nil {
		errs = append(errs, err)
	}
	return rec, errors.Join(errs...)
}
