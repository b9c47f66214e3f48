package reports

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/drift"
	"github.com/patchgate/patchgate/runbooks/sla"
	"github.com/patchgate/patchgate/state"
)

// The audit streams of the daily checks, read as the shapes they are
// written in (runbooks/sla, runbooks/drift, runbooks/saml).
type slaAudit struct {
	Type      string `json:"type"`
	Tenant    string `json:"tenant"`
	Exception *struct {
		ID     string    `json:"id"`
		Status string    `json:"status"`
		Until  time.Time `json:"until"`
	} `json:"exception"`
	Paged []json.RawMessage `json:"paged"`
	At    time.Time         `json:"at"`
}

type driftAudit struct {
	Type   string    `json:"type"`
	Tenant string    `json:"tenant"`
	At     time.Time `json:"at"`
}

type samlAudit struct {
	Type     string    `json:"type"`
	NotAfter time.Time `json:"not_after"`
	Detail   string    `json:"detail"`
	At       time.Time `json:"at"`
}

func readStream[T any](ctx context.Context, st state.Store, stream string) ([]T, error) {
	es, err := st.Read(ctx, stream, 1, 0)
	if err != nil && !errors.Is(err, state.ErrNotFound) {
		return nil, fmt.Errorf("read %s: %w", stream, err)
	}
	out := make([]T, 0, len(es))
	for _, e := range es {
		var v T
		if err := json.Unmarshal(e.Data, &v); err != nil {
			return nil, fmt.Errorf("decode %s entry %d: %w", stream, e.Seq, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// readSLAOutcomes counts the exceptions in force at the month's end and
// those that lapsed in it, and adds each paged SLA breach to the pages.
func readSLAOutcomes(ctx context.Context, st state.Store, o *Outcomes, pages, _ *[]runbooks.Event) error {
	evs, err := readStream[slaAudit](ctx, st, sla.AuditStream)
	if err != nil {
		return err
	}
	type open struct {
		tenant string
		until  time.Time
	}
	inForce := map[string]open{}
	for _, ev := range evs {
		if ev.Type == sla.EventBreachPaged {
			for range ev.Paged {
				*pages = append(*pages, runbooks.Event{Tenant: ev.Tenant, At: ev.At, Type: sla.EventBreachPaged})
			}
			continue
		}
		if ev.Exception == nil || !ev.At.Before(o.To) {
			continue
		}
		switch ev.Type {
		case sla.EventExceptionApproved:
			if ev.Exception.Status == sla.ExceptionApproved {
				inForce[ev.Exception.ID] = open{ev.Tenant, ev.Exception.Until}
			}
		case sla.EventExceptionLapsed:
			delete(inForce, ev.Exception.ID)
			if o.in(ev.At) {
				o.tenant(ev.Tenant).ExcExpired++
			}
		case sla.EventExceptionRejected:
			delete(inForce, ev.Exception.ID)
		}
	}
	for _, x := range inForce {
		if !x.until.Before(o.To) {
			o.tenant(x.tenant).ExcOpen++
		}
	}
	return nil
}

// readDriftOutcomes counts drift items detected and resolved in the month.
func readDriftOutcomes(ctx context.Context, st state.Store, o *Outcomes) error {
	evs, err := readStream[driftAudit](ctx, st, drift.AuditStream)
	if err != nil {
		return err
	}
	for _, ev := range evs {
		if !o.in(ev.At) {
			continue
		}
		switch ev.Type {
		case "drift.detected":
			o.tenant(ev.Tenant).DriftOpened++
		case "drift.resolved":
			o.tenant(ev.Tenant).DriftClosed++
		}
	}
	return nil
}

// readSAMLOutcomes counts certificate runbooks resolved as renewed in the
// month, before or after the old certificate's notAfter.
func readSAMLOutcomes(ctx context.Context, st state.Store, o *Outcomes) error {
	names, err := st.Streams(ctx, "audit/saml/")
	if err != nil {
		return fmt.Errorf("list audit/saml/ streams: %w", err)
	}
	for _, n := range names {
		evs, err := readStream[samlAudit](ctx, st, n)
		if err != nil {
			return err
		}
		var notAfter time.Time
		for _, ev := range evs {
			if !ev.NotAfter.IsZero() {
				notAfter = ev.NotAfter
			}
			if ev.Type != "resolved" || !strings.HasPrefix(ev.Detail, "renewed") || !o.in(ev.At) {
				continue
			}
			if !notAfter.IsZero() && ev.At.Before(notAfter) {
				o.All.SAMLRenewed++
			} else {
				o.All.SAMLRenewedLate++
			}
		}
	}
	return nil
}
