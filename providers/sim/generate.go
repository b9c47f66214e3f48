package sim

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// world is the generated fleet: the hosts as first built from the seed. It
// never changes after New; faults and patches are applied on top of it when
// a host is viewed.
type world struct {
	hosts  []runbooks.Host
	tenant []string // tenant of hosts[i]
	byID   map[string]int
	byName map[string]int
	// pages groups each "tenant/env"'s hosts by the (target, region) a cloud
	// lists them from, in configuration order.
	pages map[string][][]int
}

// lastCycle is when generated hosts were last patched: a fixed instant, so
// generation does not depend on the clock.
var lastCycle = time.Date(2025, 9, 28, 2, 0, 0, 0, time.UTC)

// generate builds the hosts of every tenant's environments and targets.
func generate(seed int64, tenants []runbooks.Tenant, perTarget int) (*world, error) {
	w := &world{byID: map[string]int{}, byName: map[string]int{}, pages: map[string][][]int{}}
	for _, t := range tenants {
		for _, env := range t.Environments {
			scope := t.Name + "/" + env.Name
			if _, dup := w.pages[scope]; dup {
				return nil, fmt.Errorf("sim: environment %s is configured twice", scope)
			}
			w.pages[scope] = [][]int{}
			n := 0 // hosts named so far in this environment
			for ti, tg := range env.Targets {
				regions := tg.Regions
				if len(regions) == 0 {
					regions = []string{defaultRegion[tg.Cloud]}
				}
				for _, region := range regions {
					rng := rand.New(rand.NewPCG(uint64(seed), hashOf(t.Name, env.Name, fmt.Sprint(ti), tg.Account, region)))
					var page []int
					for j := range perTarget {
						name := fmt.Sprintf("%s-%s-%s-%02d", t.Name, env.Name, roles[n%len(roles)], n/len(roles)+1)
						n++
						h := newHost(rng, tg, region, env.Name, name, j)
						if err := w.add(h, t.Name); err != nil {
							return nil, err
						}
						page = append(page, len(w.hosts)-1)
					}
					w.pages[scope] = append(w.pages[scope], page)
				}
			}
		}
	}
	return w, nil
}

func (w *world) add(h runbooks.Host, tenant string) error {
	if _, dup := w.byID[h.ID]; dup {
		return fmt.Errorf("sim: generated host ID %s twice", h.ID)
	}
	if _, dup := w.byName[h.Name]; dup {
		return fmt.Errorf("sim: generated host name %s twice (tenant and environment names run together)", h.Name)
	}
	w.byID[h.ID] = len(w.hosts)
	w.byName[h.Name] = len(w.hosts)
	w.hosts = append(w.hosts, h)
	w.tenant = append(w.tenant, tenant)
	return nil
}

// newHost builds the j-th host of a target in region.
func newHost(rng *rand.Rand, tg runbooks.Target, region, env, name string, j int) runbooks.Host {
	img := pickImage(rng, tg.Cloud)
	h := runbooks.Host{
		ID: hostID(rng, tg, region, env, name, j), Name: name,
		Cloud: tg.Cloud, Account: tg.Account, Region: region, Env: env,
		OS: img.os, OSVersion: img.version, Kernel: img.kernels[rng.IntN(len(img.kernels))],
		Managed: true, AgentStatus: "Online", HasSensor: true,
		PendingKernel: img.pending,
		LastPatched:   lastCycle.AddDate(0, -1, 0).Add(time.Duration(rng.IntN(180)) * time.Minute),
	}
	if img.linux {
		h.SensorVersion = linuxSensors[rng.IntN(len(linuxSensors))]
		h.PendingPatches = 3 + rng.IntN(38)
	} else {
		h.SensorVersion = windowsSensors[rng.IntN(len(windowsSensors))]
		h.PendingPatches = 2 + rng.IntN(10)
	}
	return h
}

func pickImage(rng *rand.Rand, cloud runbooks.Cloud) image {
	total := 0
	for _, im := range images {
		if !im.awsOnly || cloud == runbooks.AWS {
			total += im.weight
		}
	}
	n := rng.IntN(total)
	for _, im := range images {
		if im.awsOnly && cloud != runbooks.AWS {
			continue
		}
		if n < im.weight {
			return im
		}
		n -= im.weight
	}
	return images[len(images)-1]
}

// hostID spells an instance ID the way each cloud does.
func hostID(rng *rand.Rand, tg runbooks.Target, region, env, name string, j int) string {
	switch tg.Cloud {
	case runbooks.Azure:
		rg := "rg-" + env
		if len(tg.Groups) > 0 {
			rg = tg.Groups[j%len(tg.Groups)]
		}
		return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s", tg.Account, rg, name)
	case runbooks.GCP:
		return fmt.Sprintf("projects/%s/zones/%s/instances/%s", tg.Account, region, name)
	}
	return fmt.Sprintf("i-0%016x", rng.Uint64())
}

func hashOf(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}
