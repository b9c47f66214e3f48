package falcon

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/crowdstrike/gofalcon/falcon/client/sensor_update_policies"
)

// Kernel is one entry of Falcon's supported-kernel list: a kernel release of
// a distro and the sensor builds that support it.
type Kernel struct {
	ID           string
	Vendor       string
	Distro       string
	Flavor       string
	Release      string
	Architecture string
	// Sensor builds supporting the kernel: with the base package, through
	// zero-touch Linux (ZTL), and through ZTL modules.
	BaseSensors      []string
	ZTLSensors       []string
	ZTLModuleSensors []string
}

// Supports reports whether sensor build v appears in any of the kernel's
// lists (7.20.19113 and 7.20.19113.0 are the same build).
func (k Kernel) Supports(v string) bool {
	for _, list := range [][]string{k.BaseSensors, k.ZTLSensors, k.ZTLModuleSensors} {
		for _, s := range list {
			if compareVersions(s, v) == 0 && len(numbers(s)) > 0 {
				return true
			}
		}
	}
	return false
}

// Kernels reads Falcon's supported-kernel entries for the given kernel
// releases, keyed by release.
func (c *Client) Kernels(ctx context.Context, releases []string) (map[string][]Kernel, error) {
	releases = dedup(slices.Clone(releases))
	slices.Sort(releases)
	out := map[string][]Kernel{}
	for batch := range filterBatches(releases) {
		filter := fqlAny("release", batch)
		var offset int64
		limit := int64(c.kernelPage)
		for {
			res, err := c.api.SensorUpdatePolicies.QueryCombinedSensorUpdateKernels(
				&sensor_update_policies.QueryCombinedSensorUpdateKernelsParams{
					Context: ctx, Filter: &filter, Limit: &limit, Offset: &offset,
				})
			if err != nil {
				return nil, fmt.Errorf("query falcon supported kernels (%d releases): %w", len(batch), c.redact(err))
			}
			p := res.GetPayload()
			if err := apiErrors(p.Errors); err != nil {
				return nil, fmt.Errorf("query falcon supported kernels: %w", err)
			}
			for _, r := range p.Resources {
				if r == nil {
					continue
				}
				k := Kernel{
					ID: deref(r.ID), Vendor: deref(r.Vendor), Distro: deref(r.Distro), Flavor: deref(r.Flavor),
					Release: deref(r.Release), Architecture: deref(r.Architecture),
					BaseSensors: r.BasePackageSupportedSensorVersions, ZTLSensors: r.ZtlSupportedSensorVersions,
					ZTLModuleSensors: r.ZtlModuleSupportedSensorVersions,
				}
				out[k.Release] = append(out[k.Release], k)
			}
			offset += int64(len(p.Resources))
			var total int64
			if p.Meta != nil && p.Meta.Pagination != nil {
				total = deref(p.Meta.Pagination.Total)
			}
			if len(p.Resources) == 0 || offset >= total {
				break
			}
		}
	}
	return out, nil
}

// supportedBy lists, for a message, the sensor builds any entry supports.
func supportedBy(ks []Kernel) string {
	var all []string
	for _, k := range ks {
		all = append(all, k.BaseSensors...)
		all = append(all, k.ZTLSensors...)
		all = append(all, k.ZTLModuleSensors...)
	}
	all = dedup(all)
	slices.SortFunc(all, compareVersions)
	if len(all) == 0 {
		return "no sensor build"
	}
	if len(all) > 3 {
		return "sensor builds " + strings.Join(all[len(all)-3:], ", ") + " and " + fmt.Sprint(len(all)-3) + " older"
	}
	return "sensor builds " + strings.Join(all, ", ")
}
