package gcp

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
	compute "google.golang.org/api/compute/v1"
)

// vm is one Compute Engine instance as the inventory needs it.
type vm struct {
	ID, Name, Project, Zone, Status string
	BootDisk                        string // disk URL
}

// labelFilter is the Compute list filter for a selector: every label must
// match ("(labels.env = "prod") (labels.app = "web")"; space means AND).
func labelFilter(sel map[string]string) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(sel)) {
		parts = append(parts, fmt.Sprintf("(labels.%s = %s)", k, strconv.Quote(sel[k])))
	}
	return strings.Join(parts, " ")
}

// instances lists the target's running instances with one paged
// aggregatedList per project, keeping the target's zones or regions.
func (p *Provider) instances(ctx context.Context, t runbooks.Target) ([]vm, error) {
	call := p.compute.Instances.AggregatedList(t.Account).MaxResults(500)
	if f := labelFilter(t.Selector); f != "" {
		call = call.Filter(f)
	}
	var out []vm
	loop := "compute instances.aggregatedList of project " + t.Account
	err := call.Pages(ctx, guarded(p, loop, func(l *compute.InstanceAggregatedList) string { return l.NextPageToken }, func(page *compute.InstanceAggregatedList) error {
		// A zone that did not answer would silently drop its hosts from
		// the gates; fail the listing instead.
		for _, u := range page.Unreachables {
			if inScope(last(u), t.Regions) {
				return fmt.Errorf("zone %s did not answer", last(u))
			}
		}
		for _, scope := range slices.Sorted(maps.Keys(page.Items)) {
			for _, in := range page.Items[scope].Instances {
				zone := last(in.Zone)
				if in.Status != "RUNNING" || !inScope(zone, t.Regions) {
					continue
				}
				v := vm{ID: strconv.FormatUint(in.Id, 10), Name: in.Name, Project: t.Account, Zone: zone, Status: in.Status}
				for _, d := range in.Disks {
					if d.Boot {
						v.BootDisk = d.Source
					}
				}
				out = append(out, v)
			}
		}
		return nil
	}))
	if err != nil {
		return nil, coded(fmt.Sprintf("list instances of project %s", t.Account), err)
	}
	return out, nil
}
