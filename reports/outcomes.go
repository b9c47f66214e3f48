package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

// PostPatchWindow is how long after a production patch a page counts as a
// post-patch incident.
const PostPatchWindow = 7 * 24 * time.Hour

// OutcomeFacts are what one month's audit log says about one tenant (or,
// summed, about all of them): the raw material of the management figures.
type OutcomeFacts struct {
	Cycles      int             // cycles completed in the month
	Lead        []time.Duration // started → completed, per completed cycle
	PeopleWait  []time.Duration // of it, awaiting approval or halted until a person acted
	ProdPatches int             // production patch operations finished in the month
	PostPatch   int             // pages opened within PostPatchWindow after one of them
	Rollbacks   int             // rollbacks requested in the month
	RolledBack  int             // rollbacks completed in the month
	ExcOpen     int             // exceptions in force at the month's end
	ExcExpired  int             // exceptions lapsed in the month
	DriftOpened int
	DriftClosed int
	// SAML certificates are the platform's, not a tenant's: overall only.
	SAMLRenewed, SAMLRenewedLate int
}

func (f *OutcomeFacts) plus(o *OutcomeFacts) {
	f.Cycles += o.Cycles
	f.Lead = append(f.Lead, o.Lead...)
	f.PeopleWait = append(f.PeopleWait, o.PeopleWait...)
	f.ProdPatches += o.ProdPatches
	f.PostPatch += o.PostPatch
	f.Rollbacks += o.Rollbacks
	f.RolledBack += o.RolledBack
	f.ExcOpen += o.ExcOpen
	f.ExcExpired += o.ExcExpired
	f.DriftOpened += o.DriftOpened
	f.DriftClosed += o.DriftClosed
}

// Outcomes are a month's facts per tenant and over all tenants.
type Outcomes struct {
	From, To time.Time // the month, [From, To)
	Tenants  map[string]*OutcomeFacts
	All      OutcomeFacts
	// Remediations are the event-driven remediations with an event in the
	// month (sla_remediation.go).
	Remediations []RemediationOutcome
}

// For returns a tenant's facts (zero when the log has none).
func (o *Outcomes) For(tenant string) *OutcomeFacts {
	if f, ok := o.Tenants[tenant]; ok {
		return f
	}
	return &OutcomeFacts{}
}

func (o *Outcomes) in(t time.Time) bool { return !t.Before(o.From) && t.Before(o.To) }

func (o *Outcomes) tenant(name string) *OutcomeFacts {
	if o.Tenants[name] == nil {
		o.Tenants[name] = &OutcomeFacts{}
	}
	return o.Tenants[name]
}

// OutcomesOf reads the month (YYYY-MM, UTC) out of the audit log in st:
// the cycle, rollback, SLA, drift and SAML streams (OutcomeQueries names
// each figure's streams and events). Pages other systems opened are not in
// the log and so not counted.
func OutcomesOf(ctx context.Context, st state.Store, month string) (*Outcomes, error) {
	from, err := time.Parse("2006-01", month)
	if err != nil {
		return nil, fmt.Errorf("month %q: want YYYY-MM", month)
	}
	o := &Outcomes{From: from, To: from.AddDate(0, 1, 0), Tenants: map[string]*OutcomeFacts{}}
	var pages []runbooks.Event
	var prod []runbooks.Event
	for _, read := range []func(context.Context, state.Store, *Outcomes, *[]runbooks.Event, *[]runbooks.Event) error{
		readCycleOutcomes, readRollbackOutcomes, readSLAOutcomes, readRemediationOutcomes,
	} {
		if err := read(ctx, st, o, &pages, &prod); err != nil {
			return nil, err
		}
	}
	for _, p := range prod {
		for _, pg := range pages {
			if pg.Tenant == p.Tenant && pg.At.After(p.At) && !pg.At.After(p.At.Add(PostPatchWindow)) {
				o.tenant(p.Tenant).PostPatch++
			}
		}
	}
	if err := readDriftOutcomes(ctx, st, o); err != nil {
		return nil, err
	}
	if err := readSAMLOutcomes(ctx, st, o); err != nil {
		return nil, err
	}
	for _, f := range o.Tenants {
		o.All.plus(f)
	}
	return o, nil
}

// streamEntries reads every stream under prefix.
func streamEntries(ctx context.Context, st state.Store, prefix string, each func(stream string, es []state.Entry) error) error {
	names, err := st.Streams(ctx, prefix)
	if err != nil {
		return fmt.Errorf("list %s streams: %w", prefix, err)
	}
	for _, n := range names {
		es, err := st.Read(ctx, n, 1, 0)
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			return fmt.Errorf("read %s: %w", n, err)
		}
		if err := each(n, es); err != nil {
			return err
		}
	}
	return nil
}

func decodeEvents(stream string, es []state.Entry) ([]runbooks.Event, error) {
	out := make([]runbooks.Event, 0, len(es))
	for _, e := range es {
		var ev runbooks.Event
		if err := json.Unmarshal(e.Data, &ev); err != nil {
			return nil, fmt.Errorf("decode %s entry %d: %w", stream, e.Seq, err)
		}
		out = append(out, ev)
	}
	return out, nil
}

// productionStages names each cycle's production stages from the cycle
// records (events name a stage, the record says whether it is production).
func productionStages(ctx context.Context, st state.Store) (map[string]map[string]bool, error) {
	out := map[string]map[string]bool{}
	for _, list := range []func(context.Context, state.Store) ([]*runbooks.Cycle, error){runbooks.FinishedCycles, runbooks.ActiveCycles} {
		cs, err := list(ctx, st)
		if err != nil {
			return nil, err
		}
		for _, c := range cs {
			for _, s := range c.Stages {
				if s.Production {
					if out[c.ID] == nil {
						out[c.ID] = map[string]bool{}
					}
					out[c.ID][s.Name] = true
				}
			}
		}
	}
	return out, nil
}

// readCycleOutcomes measures each cycle completed in the month: its lead
// time and the part of it spent waiting on people (a stage awaiting
// approval until approval.complete; a halt until a person resumed,
// retried, proceeded with exclusions or rejected), and collects the
// cycles' pages and finished production patches.
func readCycleOutcomes(ctx context.Context, st state.Store, o *Outcomes, pages, prod *[]runbooks.Event) error {
	prodStages, err := productionStages(ctx, st)
	if err != nil {
		return err
	}
	return streamEntries(ctx, st, "audit/cycle/", func(stream string, es []state.Entry) error {
		evs, err := decodeEvents(stream, es)
		if err != nil {
			return err
		}
		var started, completed time.Time
		var wait time.Duration
		awaiting := map[string]time.Time{}
		var halted time.Time
		for _, ev := range evs {
			switch ev.Type {
			case runbooks.EvCycleStarted:
				started = ev.At
			case runbooks.EvCycleCompleted:
				completed = ev.At
			case runbooks.EvStageOpened:
				if strings.HasPrefix(ev.Detail, "awaiting") {
					awaiting[ev.Stage] = ev.At
				}
			case runbooks.EvApprovalComplete:
				if t, ok := awaiting[ev.Stage]; ok {
					wait += ev.At.Sub(t)
					delete(awaiting, ev.Stage)
				}
			case runbooks.EvHalted:
				halted = ev.At
			case runbooks.EvResumed, runbooks.EvRetry, runbooks.EvExclusions, runbooks.EvCycleRejected:
				if !halted.IsZero() {
					wait += ev.At.Sub(halted)
					halted = time.Time{}
				}
			case runbooks.EvIncidentOpened:
				*pages = append(*pages, ev)
			case runbooks.EvPatchDone:
				if prodStages[ev.Cycle][ev.Stage] && o.in(ev.At) {
					*prod = append(*prod, ev)
					o.tenant(ev.Tenant).ProdPatches++
				}
			}
		}
		if len(evs) > 0 && !started.IsZero() && o.in(completed) {
			f := o.tenant(evs[0].Tenant)
			f.Cycles++
			f.Lead = append(f.Lead, completed.Sub(started))
			f.PeopleWait = append(f.PeopleWait, wait)
		}
		return nil
	})
}

// readRollbackOutcomes counts rollbacks requested and completed in the
// month, and collects their pages.
func readRollbackOutcomes(ctx context.Context, st state.Store, o *Outcomes, pages, _ *[]runbooks.Event) error {
	return streamEntries(ctx, st, "audit/rollback/", func(stream string, es []state.Entry) error {
		evs, err := decodeEvents(stream, es)
		if err != nil {
			return err
		}
		for _, ev := range evs {
			switch {
			case ev.Type == runbooks.EvIncidentOpened:
				*pages = append(*pages, ev)
			case ev.Type == runbooks.EvRollbackRequested && o.in(ev.At):
				o.tenant(ev.Tenant).Rollbacks++
			case ev.Type == runbooks.EvRollbackCompleted && o.in(ev.At):
				o.tenant(ev.Tenant).RolledBack++
			}
		}
		return nil
	})
}
