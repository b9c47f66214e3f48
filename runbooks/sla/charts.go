package sla

import (
	"context"
	"errors"
	"fmt"
)

// Chart is one posture chart drawn as a PNG image, for the Slack digest:
// the same charts the monthly posture PDF carries.
type Chart struct {
	Tenant string
	Name   string // file name
	Title  string
	PNG    []byte
}

// charts draws each scanned tenant's charts of the current month with
// s.Charts; a tenant whose charts cannot be drawn is named in the error
// and the digest goes without them.
func (s *Service) charts(ctx context.Context, p Posture) ([]Chart, error) {
	if s.Charts == nil {
		return nil, nil
	}
	month := p.At.UTC().Format("2006-01")
	var out []Chart
	var errs []error
	for _, snap := range p.Tenants {
		if snap.Total.Hosts == 0 {
			continue // nothing measured: no picture of nothing
		}
		m, err := s.MonthReport(ctx, snap.Tenant, month)
		if err != nil {
			errs = append(errs, fmt.Errorf("charts of %s: %w", snap.Tenant, err))
			continue
		}
		if m.Latest == nil || m.Latest.Day != snap.Day {
			errs = append(errs, fmt.Errorf("charts of %s: the scan of %s is not stored", snap.Tenant, snap.Day))
			continue
		}
		cs, err := s.Charts(m)
		if err != nil {
			errs = append(errs, fmt.Errorf("charts of %s: %w", snap.Tenant, err))
			continue
		}
		out = append(out, cs...)
	}
	return out, errors.Join(errs...)
}
