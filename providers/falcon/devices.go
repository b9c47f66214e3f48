package falcon

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crowdstrike/gofalcon/falcon/client/hosts"
	"github.com/crowdstrike/gofalcon/falcon/models"

	"github.com/patchgate/patchgate/runbooks"
)

// Device is what Falcon knows of one host's sensor.
type Device struct {
	DeviceID   string
	Hostname   string
	InstanceID string // cloud instance ID (AWS i-…)
	AccountID  string // service_provider_account_id
	// MatchedBy says how the host was matched: "instance_id" or "hostname".
	MatchedBy string

	AgentVersion  string
	KernelVersion string
	// ReducedFunctionalityMode is Falcon's raw value: "yes", "no" or "Unknown".
	ReducedFunctionalityMode string
	LastSeen                 time.Time
	Platform                 string // platform_name: Linux, Windows, Mac
	OSVersion                string
	Status                   string

	Prevention   Policy
	SensorUpdate Policy
	// Groups are the IDs of the host groups the device is in.
	Groups []string
}

// Policy is a policy assigned to a device.
type Policy struct {
	ID        string
	Applied   bool
	AppliedAt time.Time
}

// RFM reports whether the sensor runs in reduced-functionality mode.
func (d Device) RFM() bool { return strings.EqualFold(d.ReducedFunctionalityMode, "yes") }

// Devices finds the Falcon device of each host, keyed by host ID: first by
// cloud instance ID (and, for AWS, the account), then by hostname for the
// rest. A host Falcon does not know is absent from the map. When several
// devices match (a reinstalled sensor), the one seen last wins.
func (c *Client) Devices(ctx context.Context, hs []runbooks.Host) (map[string]Device, error) {
	out := make(map[string]Device, len(hs))
	byInstance := map[string][]runbooks.Host{}
	for _, h := range hs {
		if h.ID != "" {
			byInstance[h.ID] = append(byInstance[h.ID], h)
		}
	}
	devs, err := c.findDevices(ctx, "instance_id", keys(byInstance))
	if err != nil {
		return nil, err
	}
	for _, d := range devs {
		for _, h := range byInstance[d.InstanceID] {
			if h.Cloud == runbooks.AWS && h.Account != "" && d.AccountID != "" && h.Account != d.AccountID {
				continue
			}
			d.MatchedBy = "instance_id"
			keepNewest(out, h.ID, d)
		}
	}

	byName := map[string][]runbooks.Host{} // full and short (first label) names
	for _, h := range hs {
		if _, ok := out[h.ID]; ok || h.Name == "" {
			continue
		}
		for _, n := range nameForms(h.Name) {
			byName[n] = append(byName[n], h)
		}
	}
	devs, err = c.findDevices(ctx, "hostname", keys(byName))
	if err != nil {
		return nil, err
	}
	for _, d := range devs {
		for _, n := range nameForms(d.Hostname) {
			for _, h := range byName[n] {
				d.MatchedBy = "hostname"
				keepNewest(out, h.ID, d)
			}
		}
	}
	c.log.Debug("falcon devices matched", "hosts", len(hs), "found", len(out))
	return out, nil
}

// nameForms are the lower-cased name and, for an FQDN, its first label.
func nameForms(name string) []string {
	n := strings.ToLower(name)
	if short, _, ok := strings.Cut(n, "."); ok && short != "" {
		return []string{n, short}
	}
	return []string{n}
}

func keepNewest(m map[string]Device, hostID string, d Device) {
	if old, ok := m[hostID]; !ok || d.LastSeen.After(old.LastSeen) {
		m[hostID] = d
	}
}

// findDevices returns the devices whose field equals one of values, querying
// in batches of FQL filters.
func (c *Client) findDevices(ctx context.Context, field string, values []string) ([]Device, error) {
	var ids []string
	for batch := range filterBatches(values) {
		got, err := c.queryDeviceIDs(ctx, fqlAny(field, batch))
		if err != nil {
			return nil, fmt.Errorf("query falcon devices by %s (%d values): %w", field, len(batch), err)
		}
		ids = append(ids, got...)
	}
	ids = dedup(ids)
	var out []Device
	for batch := range chunks(ids, c.cfg.DetailsBatch) {
		got, err := c.deviceDetails(ctx, batch)
		if err != nil {
			return nil, fmt.Errorf("read details of %d falcon devices: %w", len(batch), err)
		}
		out = append(out, got...)
	}
	return out, nil
}

// queryDeviceIDs follows the devices-scroll query to its end.
func (c *Client) queryDeviceIDs(ctx context.Context, filter string) ([]string, error) {
	var ids []string
	var offset *string
	limit := int64(c.cfg.PageSize)
	for {
		res, err := c.api.Hosts.QueryDevicesByFilterScroll(&hosts.QueryDevicesByFilterScrollParams{
			Context: ctx, Filter: &filter, Limit: &limit, Offset: offset,
		})
		if err != nil {
			return nil, c.redact(err)
		}
		p := res.GetPayload()
		if err := apiErrors(p.Errors); err != nil {
			return nil, err
		}
		ids = append(ids, p.Resources...)
		var next string
		var total int64 = -1
		if p.Meta != nil && p.Meta.Pagination != nil {
			if p.Meta.Pagination.Offset != nil {
				next = *p.Meta.Pagination.Offset
			}
			if p.Meta.Pagination.Total != nil {
				total = *p.Meta.Pagination.Total
			}
		}
		if len(p.Resources) == 0 || next == "" || (total >= 0 && int64(len(ids)) >= total) {
			return ids, nil
		}
		offset = &next
	}
}

// deviceDetails reads up to MaxDetailsBatch devices.
func (c *Client) deviceDetails(ctx context.Context, ids []string) ([]Device, error) {
	res, err := c.api.Hosts.PostDeviceDetailsV2(&hosts.PostDeviceDetailsV2Params{
		Context: ctx, Body: &models.MsaIdsRequest{Ids: ids},
	})
	if err != nil {
		return nil, c.redact(err)
	}
	p := res.GetPayload()
	if err := apiErrors(p.Errors); err != nil {
		return nil, err
	}
	out := make([]Device, 0, len(p.Resources))
	for _, r := range p.Resources {
		if r != nil {
			out = append(out, toDevice(r))
		}
	}
	return out, nil
}

func toDevice(r *models.DeviceapiDeviceSwagger) Device {
	d := Device{
		DeviceID:                 deref(r.DeviceID),
		Hostname:                 r.Hostname,
		InstanceID:               r.InstanceID,
		AccountID:                r.ServiceProviderAccountID,
		AgentVersion:             r.AgentVersion,
		KernelVersion:            r.KernelVersion,
		ReducedFunctionalityMode: r.ReducedFunctionalityMode,
		Platform:                 r.PlatformName,
		OSVersion:                r.OsVersion,
		Status:                   r.Status,
		Groups:                   r.Groups,
	}
	d.LastSeen, _ = time.Parse(time.RFC3339, r.LastSeen)
	if p := r.DevicePolicies; p != nil {
		d.Prevention = policy(p.Prevention)
		d.SensorUpdate = policy(p.SensorUpdate)
	}
	for _, p := range r.Policies { // older shape: a list with policy_type
		if p == nil || p.PolicyType == nil {
			continue
		}
		switch {
		case *p.PolicyType == "prevention" && d.Prevention.ID == "":
			d.Prevention = policy(p)
		case *p.PolicyType == "sensor-update" && d.SensorUpdate.ID == "":
			d.SensorUpdate = policy(p)
		}
	}
	return d
}

func policy(p *models.DeviceDevicePolicy) Policy {
	if p == nil {
		return Policy{}
	}
	return Policy{ID: deref(p.PolicyID), Applied: p.Applied, AppliedAt: time.Time(p.AppliedDate)}
}

func apiErrors(errs []*models.MsaAPIError) error {
	var msgs []string
	for _, e := range errs {
		if e != nil && e.Message != nil {
			msgs = append(msgs, fmt.Sprintf("%d %s", deref(e.Code), *e.Message))
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("falcon API: %s", strings.Join(msgs, "; "))
}

// fqlAny is an FQL filter matching field against any of values.
func fqlAny(field string, values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(v) + "'"
	}
	return field + ":[" + strings.Join(q, ",") + "]"
}

func chunks(s []string, n int) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		for len(s) > 0 {
			k := min(n, len(s))
			if !yield(s[:k]) {
				return
			}
			s = s[k:]
		}
	}
}

// filterBatches splits FQL values so each filter has at most
// defaultFilterBatch values and about maxFilterBytes of text (long IDs, such
// as Azure resource IDs, would otherwise make over-long URLs).
func filterBatches(values []string) func(func([]string) bool) {
	return func(yield func([]string) bool) {
		start, size := 0, 0
		for i, v := range values {
			if i > start && (i-start >= defaultFilterBatch || size+len(v)+3 > maxFilterBytes) {
				if !yield(values[start:i]) {
					return
				}
				start, size = i, 0
			}
			size += len(v) + 3
		}
		if start < len(values) {
			yield(values[start:])
		}
	}
}

func keys(m map[string][]runbooks.Host) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func dedup(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := s[:0]
	for _, v := range s {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func deref[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
