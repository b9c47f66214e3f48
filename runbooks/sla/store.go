package sla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/state"
)

// AuditStream is the hash-chained stream of SLA events: breaches paged,
// exceptions requested, approved, rejected, reminded and lapsed, scans run.
const AuditStream = "audit/sla"

// Store keys.
const (
	dayPrefix       = "sla/day/"       // sla/day/<tenant>/<YYYY-MM-DD>: one Snapshot per tenant per day
	latestPrefix    = "sla/latest/"    // sla/latest/<tenant>: the last Snapshot with its item list
	pagedPrefix     = "sla/paged/"     // sla/paged/<tenant>: host-patch keys already paged
	seenPrefix      = "sla/seen/"      // sla/seen/<tenant>/<shard>: first day a dateless patch was seen
	exceptionPrefix = "sla/exception/" // sla/exception/<id>
	scanClaimPrefix = "sla/scan/"      // sla/scan/<YYYY-MM-DD>: claimed by the one replica that scans that day
)

// HistoryDays is how long daily snapshots are kept (the at least
// 400 days: a year of monthly reports plus a quarter's look back).
const HistoryDays = 400

func readJSON[T any](ctx context.Context, st state.Store, key string) (*T, bool, error) {
	rec, err := st.Get(ctx, key)
	if errors.Is(err, state.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", key, err)
	}
	var v T
	if err := json.Unmarshal(rec.Value, &v); err != nil {
		return nil, false, fmt.Errorf("decode %s: %w", key, err)
	}
	return &v, true, nil
}

// putJSON writes v at key whatever was there (snapshots are written by the
// one replica holding the day's claim).
func putJSON(ctx context.Context, st state.Store, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", key, err)
	}
	_, err = state.Modify(ctx, st, key, func([]byte, bool) ([]byte, error) { return b, nil })
	return err
}

// auditEvent is one entry of AuditStream.
type auditEvent struct {
	Type      string     `json:"type"`
	Tenant    string     `json:"tenant"`
	Host      string     `json:"host,omitempty"`
	Patch     string     `json:"patch,omitempty"`
	KEV       string     `json:"kev,omitempty"`
	Deadline  *time.Time `json:"deadline,omitempty"`
	Exception *Exception `json:"exception,omitempty"`
	Actor     string     `json:"actor,omitempty"`
	Counts    *Counts    `json:"counts,omitempty"`
	// Paged lists the breaches a scan paged for (EventBreachPaged).
	Paged  []PagedBreach `json:"paged,omitempty"`
	Source string        `json:"source,omitempty"`
	At     time.Time     `json:"at"`
}

func appendAudit(ctx context.Context, st state.Store, ev auditEvent) error {
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode %s for %s: %w", ev.Type, AuditStream, err)
	}
	if _, err := st.Append(ctx, AuditStream, b); err != nil {
		return fmt.Errorf("append %s to %s: %w", ev.Type, AuditStream, err)
	}
	return nil
}

// AuditEvents reads the SLA audit stream's events of the given types (all
// when none are given), for reports and tests.
func AuditEvents(ctx context.Context, st state.Store, types ...string) ([]map[string]any, error) {
	es, err := st.Read(ctx, AuditStream, 1, 0)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("read %s: %w", AuditStream, err)
	}
	var out []map[string]any
	for _, e := range es {
		var m map[string]any
		if err := json.Unmarshal(e.Data, &m); err != nil {
			return nil, fmt.Errorf("decode %s entry %d: %w", AuditStream, e.Seq, err)
		}
		if len(types) == 0 || contains(types, m["type"]) {
			out = append(out, m)
		}
	}
	return out, nil
}

func contains(types []string, t any) bool {
	for _, x := range types {
		if x == t {
			return true
		}
	}
	return false
}

func decode[T any](r state.Record) (T, error) {
	var v T
	if err := json.Unmarshal(r.Value, &v); err != nil {
		return v, fmt.Errorf("decode %s: %w", r.Key, err)
	}
	return v, nil
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only plain structs are encoded
	}
	return b
}
