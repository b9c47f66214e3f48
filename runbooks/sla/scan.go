package sla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// Chat posts the posture digest and exception reminders.
type Chat interface {
	PostSLAPosture(ctx context.Context, p Posture) error
	ExceptionReminder(ctx context.Context, x Exception) error
}

// measurer is implemented by a findings reader that cannot read every
// host (the multi-cloud router with a cloud lacking a reader).
type measurer interface {
	Measured(h runbooks.Host) bool
}

// Service is the daily posture scan, the reads behind `/patch posture` and the exceptions (risk acceptances) and their approvals.
type Service struct {
	Store     state.Store
	Tenants   []runbooks.Tenant
	Inventory runbooks.Inventory
	Findings  runbooks.PatchFindings
	Policy    Policy
	// KEV loads the catalogue for a scan (nil: no KEV deadlines).
	KEV   func(ctx context.Context) (*KEV, error)
	Pager runbooks.Pager // nil: breaches are recorded but not paged
	Chat  Chat           // nil: no digest, no reminders
	// Charts draws a month's posture charts as PNG for the digest (the
	// monthly PDF's renderer); nil: the digest goes without pictures.
	Charts func(m Month) ([]Chart, error)
	Clock  runbooks.Clock
	// ReminderDays before an exception's until its reminder is posted.
	ReminderDays int
	// Risk approvers (users, and groups resolved through Directory) may
	// approve exceptions; MinApprovals of them other than the requester
	// must. MaxExceptionDays bounds an exception's length.
	RiskApprovers    []string
	RiskGroups       []string
	MinApprovals     int
	MaxExceptionDays int
	Directory        runbooks.Directory
	Log              *slog.Logger
}

// Posture is what a scan found across tenants.
type Posture struct {
	At      time.Time
	Tenants []Snapshot
	// Lapsed and Reminded are exceptions the scan lapsed or reminded of.
	Lapsed   []Exception
	Reminded []Exception
	Paged    int // breaches paged for the first time
	// Charts are the scanned tenants' charts for the digest.
	Charts []Chart
}

// ErrScanned is returned by ScanDaily when another run already claimed
// today's scan.
var ErrScanned = errors.New("sla: today's posture scan was already claimed")

func (s *Service) now() time.Time {
	if s.Clock == nil {
		return time.Now()
	}
	return s.Clock.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// ScanDaily is the scheduled job: the first replica to claim the UTC day
// scans; any other run that day returns ErrScanned without reading a
// provider.
func (s *Service) ScanDaily(ctx context.Context) (Posture, error) {
	day := s.now().UTC().Format(time.DateOnly)
	won, err := s.Store.Claim(ctx, scanClaimPrefix+day, 48*time.Hour)
	if err != nil {
		return Posture{}, fmt.Errorf("claim the posture scan of %s: %w", day, err)
	}
	if !won {
		return Posture{}, ErrScanned
	}
	return s.Scan(ctx)
}

// Scan reads every tenant's hosts and findings, evaluates them, stores the
// day's snapshots, pages new critical and KEV breaches once per host and
// patch, lapses and reminds exceptions, and posts the digest. A tenant or
// environment that cannot be read is named in its snapshot's Errors and in
// the returned error; the others are still scanned.
func (s *Service) Scan(ctx context.Context) (Posture, error) {
	now := s.now()
	p := Posture{At: now}
	var errs []error
	var kev *KEV
	if s.KEV != nil {
		k, err := s.KEV(ctx)
		if err != nil {
			errs = append(errs, fmt.Errorf("KEV catalogue (scan went on without KEV deadlines): %w", err))
		}
		kev = k
	}
	excs, lapsed, reminded, err := s.maintainExceptions(ctx, now)
	if err != nil {
		errs = append(errs, err)
	}
	p.Lapsed, p.Reminded = lapsed, reminded
	for _, t := range s.Tenants {
		snap, paged, err := s.scanTenant(ctx, t, now, kev, excs)
		if err != nil {
			errs = append(errs, fmt.Errorf("posture of %s: %w", t.Name, err))
		}
		p.Paged += paged
		p.Tenants = append(p.Tenants, snap)
	}
	if err := s.prune(ctx, now); err != nil {
		errs = append(errs, err)
	}
	s.log().Info("sla posture scan", "tenants", len(p.Tenants), "paged", p.Paged, "lapsed", len(p.Lapsed), "reminded", len(p.Reminded), "errors", len(errs))
	if s.Chat != nil {
		cs, err := s.charts(ctx, p)
		if err != nil {
			errs = append(errs, err)
		}
		p.Charts = cs
		if err := s.Chat.PostSLAPosture(ctx, p); err != nil {
			errs = append(errs, fmt.Errorf("post the posture digest: %w", err))
		}
	}
	return p, errors.Join(errs...)
}

func (s *Service) scanTenant(ctx context.Context, t runbooks.Tenant, now time.Time, kev *KEV, excs []Exception) (Snapshot, int, error) {
	hosts, failed, errs := s.tenantHosts(ctx, t)
	var measured []runbooks.Host
	for _, h := range hosts {
		if h.Managed {
			measured = append(measured, h)
		}
	}
	seen, err := s.firstSeen(ctx, t.Name, now)
	if err != nil {
		return Snapshot{}, 0, errors.Join(append(errs, err)...)
	}
	pg, err := s.newPaging(ctx, t.Name, now)
	if err != nil {
		return Snapshot{}, 0, errors.Join(append(errs, err)...)
	}
	in := Input{Tenant: t.Name, Now: now, Deadlines: s.Policy.For(t.Name), KEV: kev, Exceptions: excs, Hosts: hosts, FirstSeen: seen.lookup}
	tl := newTally(&in, false)
	tl.onItem = func(it *Item) { pg.consider(ctx, it) }
	var addErr error // the tally's own refusal, not the reader's failure
	err = s.readFindings(ctx, measured, func(fs []runbooks.PatchFinding) error {
		addErr = tl.add(fs)
		return addErr
	})
	paged, perr := pg.record(ctx)
	if perr != nil {
		errs = append(errs, perr)
	}
	if addErr != nil {
		return Snapshot{Tenant: t.Name, Day: now.UTC().Format(time.DateOnly), At: now, Errors: []string{"patch findings: " + addErr.Error()}},
			paged, errors.Join(append(errs, fmt.Errorf("patch findings: %w", addErr))...)
	}
	if err != nil {
		// A read that failed part way (a peer that never answered, a
		// throttling storm, a cut body, a paging loop) leaves the hosts
		// whose findings did not arrive unknown: not measured, never clean.
		why := strings.ReplaceAll(err.Error(), "\n", "; ")
		n := tl.unread("patch findings not read: " + why)
		failed = append(failed, fmt.Sprintf("patch findings of %d host(s) not read, counted unmanaged: %s", n, why))
		errs = append(errs, fmt.Errorf("patch findings: %w", err))
	}
	if err := seen.save(ctx); err != nil {
		errs = append(errs, err)
	}
	snap := tl.snapshot(kev)
	snap.Errors = failed
	day := dayPrefix + t.Name + "/" + snap.Day
	compact := snap
	compact.Items, compact.Listed = nil, 0
	if err := putJSON(ctx, s.Store, day, compact); err != nil {
		errs = append(errs, err)
	}
	if err := putJSON(ctx, s.Store, latestPrefix+t.Name, snap); err != nil {
		errs = append(errs, err)
	}
	return snap, paged, errors.Join(errs...)
}

// tenantHosts lists the tenant's hosts environment by environment, marking
// those whose cloud reads no patch findings as unmanaged (not measured).
func (s *Service) tenantHosts(ctx context.Context, t runbooks.Tenant) ([]runbooks.Host, []string, []error) {
	var hosts []runbooks.Host
	var errs []error
	var failed []string
	for _, env := range t.Environments {
		hs, err := s.Inventory.Hosts(ctx, t, env)
		if err != nil {
			failed = append(failed, env.Name)
			errs = append(errs, fmt.Errorf("inventory of %s: %w", env.Name, err))
			continue
		}
		hosts = append(hosts, hs...)
	}
	if m, ok := s.Findings.(measurer); ok {
		for i := range hosts {
			if hosts[i].Managed && !m.Measured(hosts[i]) {
				hosts[i].Managed = false
				hosts[i].AgentStatus = "patch findings not read from " + string(hosts[i].Cloud)
			}
		}
	}
	return hosts, failed, errs
}

// readFindings hands the hosts' findings to add part by part when the
// reader can stream them, else all at once.
func (s *Service) readFindings(ctx context.Context, hosts []runbooks.Host, add func([]runbooks.PatchFinding) error) error {
	if each, ok := s.Findings.(runbooks.PatchFindingsEach); ok {
		return each.EachPatchFindings(ctx, hosts, add)
	}
	fs, err := s.Findings.PatchFindings(ctx, hosts)
	if err != nil {
		return err
	}
	return add(fs)
}

// PagedBreach is one host-patch a scan paged for, as audited.
type PagedBreach struct {
	Host     string    `json:"host"`
	Patch    string    `json:"patch"`
	KEV      string    `json:"kev,omitempty"`
	Deadline time.Time `json:"deadline"`
	Source   string    `json:"source,omitempty"`
}

func hostLabel(it *Item) string {
	if it.HostName != "" && it.HostName != it.HostID {
		return it.HostName + " (" + it.HostID + ")"
	}
	return it.HostID
}

// prune deletes daily snapshots older than HistoryDays.
func (s *Service) prune(ctx context.Context, now time.Time) error {
	cutoff := now.UTC().AddDate(0, 0, -HistoryDays).Format(time.DateOnly)
	recs, err := s.Store.List(ctx, dayPrefix)
	if err != nil {
		return fmt.Errorf("list posture history: %w", err)
	}
	var errs []error
	for _, r := range recs {
		day := r.Key[strings.LastIndex(r.Key, "/")+1:]
		if day < cutoff {
			if err := s.Store.Delete(ctx, r.Key, r.Version); err != nil && !errors.Is(err, state.ErrNotFound) {
				errs = append(errs, fmt.Errorf("prune %s: %w", r.Key, err))
			}
		}
	}
	return errors.Join(errs...)
}

// Latest returns each tenant's latest snapshot (only tenant, when given).
func (s *Service) Latest(ctx context.Context, tenant string) ([]Snapshot, error) {
	var out []Snapshot
	for _, t := range s.Tenants {
		if tenant != "" && t.Name != tenant {
			continue
		}
		snap, ok, err := readJSON[Snapshot](ctx, s.Store, latestPrefix+t.Name)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, *snap)
		}
	}
	if tenant != "" && len(out) == 0 && !s.known(tenant) {
		return nil, runbooks.Errorf(runbooks.CodeNotFound, "There is no tenant %s.", tenant)
	}
	return out, nil
}

func (s *Service) known(tenant string) bool {
	for _, t := range s.Tenants {
		if t.Name == tenant {
			return true
		}
	}
	return false
}

// History returns a tenant's daily snapshots from..to (inclusive, UTC
// days), oldest first.
func (s *Service) History(ctx context.Context, tenant string, from, to time.Time) ([]Snapshot, error) {
	recs, err := s.Store.List(ctx, dayPrefix+tenant+"/")
	if err != nil {
		return nil, fmt.Errorf("list posture history of %s: %w", tenant, err)
	}
	lo, hi := from.UTC().Format(time.DateOnly), to.UTC().Format(time.DateOnly)
	var out []Snapshot
	for _, r := range recs {
		day := r.Key[strings.LastIndex(r.Key, "/")+1:]
		if day < lo || day > hi {
			continue
		}
		var snap Snapshot
		if err := json.Unmarshal(r.Value, &snap); err != nil {
			return nil, fmt.Errorf("decode %s: %w", r.Key, err)
		}
		out = append(out, snap)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out, nil
}
