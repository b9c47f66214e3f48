package saml

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/state"
)

// Runbook states.
const (
	StatusOpen     = "open"
	StatusResolved = "resolved"
)

// Ref is where a runbook message is in chat.
type Ref struct{ Channel, TS string }

// Tick is one ticked MOP step: who ticked it and when.
type Tick struct {
	Step string    `json:"step"`
	By   string    `json:"by"`
	At   time.Time `json:"at"`
}

// Record is one certificate's runbook, kept at "saml/cert/<fingerprint>":
// what was found, the procedure, the ticks, where the message is, and
// whether it was paged and resolved.
type Record struct {
	Fingerprint string    `json:"fingerprint"`
	Finding     Finding   `json:"finding"`
	Procedure   Procedure `json:"procedure"`
	Ticks       []Tick    `json:"ticks,omitempty"`
	Ref         Ref       `json:"ref"`
	Status      string    `json:"status"`
	Paged       bool      `json:"paged,omitempty"`
	FirstSeen   time.Time `json:"first_seen"`
	LastSeen    time.Time `json:"last_seen"`
	// Resolution says why it closed ("renewed: …", "no longer published").
	Resolution string    `json:"resolution,omitempty"`
	ResolvedAt time.Time `json:"resolved_at,omitzero"`
	// HandledDay is the UTC day the runbook was last posted or updated in
	// full; a run on the same day skips it.
	HandledDay string `json:"handled_day,omitempty"`
}

// Ticked returns the tick of a step, if it was ticked.
func (r *Record) Ticked(step string) (Tick, bool) {
	for _, t := range r.Ticks {
		if t.Step == step {
			return t, true
		}
	}
	return Tick{}, false
}

// FingerprintKey turns a colon-separated SHA-256 into the store key segment
// (lower-case hex, no colons).
func FingerprintKey(sha256 string) string {
	return strings.ToLower(strings.ReplaceAll(sha256, ":", ""))
}

func recordKey(fp string) string   { return "saml/cert/" + fp }
func leaseKey(fp string) string    { return "saml/" + fp }
func auditStream(fp string) string { return "audit/saml/" + fp }
func pageKey(fp string) string     { return "patchgate/saml/" + fp }
func dayOf(t time.Time) string     { return t.UTC().Format("2006-01-02") }
func recordPrefix() string         { return "saml/cert/" }
func decodeRecord(b []byte) (*Record, error) {
	var r Record
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

// loadRecord returns the record and its version; found is false when absent.
func loadRecord(ctx context.Context, st state.Store, fp string) (*Record, int64, bool, error) {
	rec, err := st.Get(ctx, recordKey(fp))
	if errors.Is(err, state.ErrNotFound) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, fmt.Errorf("read %s: %w", recordKey(fp), err)
	}
	r, err := decodeRecord(rec.Value)
	if err != nil {
		return nil, 0, false, fmt.Errorf("decode %s: %w", recordKey(fp), err)
	}
	return r, rec.Version, true, nil
}

// modify applies change to the current record (or nil when there is none)
// and writes the result with compare-and-swap (state.ModifyJSON), so a
// tick racing another replica is applied to what the other wrote. change
// returns nil to write nothing.
func modify(ctx context.Context, st state.Store, fp string, change func(cur *Record) (*Record, error)) (*Record, error) {
	return state.ModifyJSON(ctx, st, recordKey(fp), change)
}

// auditEvent is one entry of a certificate's audit stream.
type auditEvent struct {
	Type        string    `json:"type"` // runbook.posted, runbook.updated, paged, mop.tick, resolved
	Fingerprint string    `json:"fingerprint"`
	Subject     string    `json:"subject,omitempty"`
	NotAfter    time.Time `json:"not_after,omitzero"`
	DaysLeft    *int      `json:"days_left,omitempty"`
	Step        string    `json:"step,omitempty"`
	StepText    string    `json:"step_text,omitempty"`
	Actor       string    `json:"actor,omitempty"`
	Detail      string    `json:"detail,omitempty"`
	At          time.Time `json:"at"`
}

func appendAudit(ctx context.Context, st state.Store, fp string, ev auditEvent) error {
	ev.Fingerprint = fp
	b, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("encode %s for %s: %w", ev.Type, auditStream(fp), err)
	}
	if _, err := st.Append(ctx, auditStream(fp), b); err != nil {
		return fmt.Errorf("append to %s: %w", auditStream(fp), err)
	}
	return nil
}
