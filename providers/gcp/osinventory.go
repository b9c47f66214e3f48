package gcp

import (
	"context"
	"fmt"
	"strings"
	"time"

	osconfig "google.golang.org/api/osconfig/v1"
)

// report is what one VM's OS Config agent last reported.
type report struct {
	ShortName, Version, Kernel string
	Available                  int    // packages with an update available
	PendingKernel              string // kernel release an update would install
	Updated                    time.Time
}

// reports lists the OS Config inventories of one zone (FULL view, paged),
// keyed by instance ID: inventory names carry the instance's numeric ID,
// not its name.
func (p *Provider) reports(ctx context.Context, project, zone string) (map[string]report, error) {
	parent := fmt.Sprintf("projects/%s/locations/%s/instances/-", project, zone)
	out := map[string]report{}
	err := p.osconfig.Projects.Locations.Instances.Inventories.List(parent).View("FULL").PageSize(100).
		Pages(ctx, guarded(p, "osconfig inventories.list of "+parent, func(l *osconfig.ListInventoriesResponse) string { return l.NextPageToken },
			func(page *osconfig.ListInventoriesResponse) error {
				for _, inv := range page.Inventories {
					out[instanceIDOf(inv.Name)] = reportOf(inv)
				}
				return nil
			}))
	if err != nil {
		return nil, coded(fmt.Sprintf("list OS Config inventories of %s in %s", project, zone), err)
	}
	return out, nil
}

// instanceIDOf takes the instance ID out of
// projects/{number}/locations/{zone}/instances/{id}/inventory.
func instanceIDOf(name string) string {
	parts := strings.Split(name, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "instances" {
			return parts[i+1]
		}
	}
	return ""
}

func reportOf(inv *osconfig.Inventory) report {
	var r report
	if o := inv.OsInfo; o != nil {
		r.ShortName, r.Version, r.Kernel = o.ShortName, o.Version, o.KernelRelease
	}
	r.Updated = ts(inv.UpdateTime)
	for _, it := range inv.Items {
		if it.Type != "AVAILABLE_PACKAGE" || it.AvailablePackage == nil {
			continue
		}
		r.Available++
		if k := kernelOf(it.AvailablePackage); k != "" && newer(k, r.PendingKernel) {
			r.PendingKernel = k
		}
	}
	return r
}

// kernelOf is the kernel release an available package would install, or ""
// when it is not a kernel: apt's linux-image-<release> and yum/zypper's
// kernel / kernel-core (<version>.<arch>, as uname -r prints it).
func kernelOf(pkg *osconfig.InventorySoftwarePackage) string {
	if a := pkg.AptPackage; a != nil {
		if rel, ok := strings.CutPrefix(a.PackageName, "linux-image-"); ok && rel != "" && rel[0] >= '0' && rel[0] <= '9' {
			return rel
		}
	}
	for _, y := range []*osconfig.InventoryVersionedPackage{pkg.YumPackage, pkg.ZypperPackage} {
		if y != nil && (y.PackageName == "kernel" || y.PackageName == "kernel-core" || y.PackageName == "kernel-default") {
			if y.Architecture == "" {
				return y.Version
			}
			return y.Version + "." + y.Architecture
		}
	}
	return ""
}

// newer compares version strings with digit runs taken as numbers, so
// 5.15.0-100 is newer than 5.15.0-99.
func newer(a, b string) bool {
	for a != "" && b != "" {
		da, db := isDigit(a[0]), isDigit(b[0])
		if da && db {
			na, ra := digits(a)
			nb, rb := digits(b)
			na, nb = strings.TrimLeft(na, "0"), strings.TrimLeft(nb, "0")
			if len(na) != len(nb) {
				return len(na) > len(nb)
			}
			if na != nb {
				return na > nb
			}
			a, b = ra, rb
			continue
		}
		if a[0] != b[0] {
			return a[0] > b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) > len(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func digits(s string) (string, string) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i], s[i:]
}
