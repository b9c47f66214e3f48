package test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/storetest"
)

// sizeMeter records the largest value written through its store (records,
// blob chunks, claims, audit entries) and the largest remediation record,
// the value every tick lists and decodes.
type sizeMeter struct {
	store state.Store

	mu         sync.Mutex
	largest    int
	largestKey string
	record     int
}

func newSizeMeter(t testing.TB, st state.Store) *sizeMeter {
	if _, ok := st.(state.Expiring); !ok {
		t.Fatalf("%T keeps no record lifetimes", st)
	}
	m := &sizeMeter{}
	m.store = storetest.Observe(st, m.note)
	return m
}

func (m *sizeMeter) note(key string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n > m.largest {
		m.largest, m.largestKey = n, key
	}
	if strings.HasPrefix(key, "runbooks/remediation/active/") || strings.HasPrefix(key, "runbooks/remediation/done/") {
		m.record = max(m.record, n)
	}
}

// scaleTenant has one environment, staging, with one AWS account: Config
// events name AWS instances, and the fleet generates only what they name.
func scaleTenant() runbooks.Tenant {
	return runbooks.Tenant{Name: "scale-cu-001", Display: "Scale Credit Union", Environments: []runbooks.Environment{{Name: "staging",
		Targets: []runbooks.Target{{Cloud: runbooks.AWS, Account: "210987654321", Regions: []string{"us-east-1"}}}}}}
}

// scaleRemediation is one remediation of n instances of scaleTenant's
// staging on three replicas over a metered store.
type scaleRemediation struct {
	h     *harness
	m     *sizeMeter
	id    string
	ids   []string // the instances, in ID order
	since map[string]time.Time
}

// openScaleRemediation delivers one NON_COMPLIANT event per instance of an
// n-instance staging (one Config rule failing across the environment), all
// at once over the replicas, and checks they open one remediation.
func openScaleRemediation(t *testing.T, b backend, n int, faults sim.Faults) scaleRemediation {
	ctx := context.Background()
	m := newSizeMeter(t, b.open(t))
	tn := scaleTenant()
	h := newHarness(t, m.store, sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tn}, HostsPerTarget: n,
		HandleBytes: map[runbooks.Cloud]int{runbooks.AWS: 60}, Faults: faults}, 3,
		func(deps *runbooks.Deps, _ *runbooks.Pipeline) { deps.Compliance = deps.Patcher.(*sim.Fleet) })
	hosts := h.envHosts(tn.Name, "staging")
	if len(hosts) != n {
		t.Fatalf("the fleet has %d hosts in staging, want %d", len(hosts), n)
	}
	s := scaleRemediation{h: h, m: m, since: map[string]time.Time{}}
	for k, host := range hosts {
		s.since[host.ID] = start.Add(-time.Duration(k) * time.Second)
		s.ids = append(s.ids, host.ID)
	}
	slices.Sort(s.ids)
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		opened = map[string]bool{}
		errs   []error
	)
	next := make(chan int)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range next {
				host := hosts[k]
				id, err := h.engines[w%len(h.engines)].IntakeComplianceEvent(ctx, nonCompliant(fmt.Sprintf("ev-%05d", k), host, tn.Name, "staging", s.since[host.ID]))
				mu.Lock()
				opened[id] = true
				if err != nil {
					errs = append(errs, err)
				}
				mu.Unlock()
			}
		}()
	}
	for k := range hosts {
		next <- k
	}
	close(next)
	wg.Wait()
	if len(errs) > 0 || len(opened) != 1 {
		t.Fatalf("intake: %d error(s) (first %v), %d remediation(s) opened; want none, one", len(errs), errors1(errs), len(opened))
	}
	for s.id = range opened {
	}
	return s
}

// remediationAtScale runs one remediation of n instances through three
// replicas of the real engine from its events to its archive, and checks
// every instance reads back whole and in order with its verdict, the
// gather's audited blob is still there and no other blob is left over. It
// returns the largest remediation record and the largest store value
// written on the way.
func remediationAtScale(t *testing.T, b backend, n int) (record, largest int, largestKey string) {
	ctx := context.Background()
	s := openScaleRemediation(t, b, n, sim.Faults{})
	h, m, id, ids, since := s.h, s.m, s.id, s.ids, s.since

	h.clock.Advance(runbooks.DefaultRemediationDebounce)
	if r := h.runRemediation(ctx, id, 5); r.Status != runbooks.RemAwaitingApproval {
		t.Fatalf("after the window the remediation is %s, want awaiting approval", r.Status)
	}
	if _, err := h.decideRem(ctx, id, runbooks.Approve, alice, ""); err != nil {
		t.Fatal(err)
	}
	r := h.runRemediation(ctx, id, 30)
	if r.Status != runbooks.RemResolved {
		t.Fatalf("remediation %s, want resolved (failure %+v, last error %s)", r.Status, r.Failure, r.LastError)
	}
	h.tickAll(ctx) // archive
	if _, err := h.store.Get(ctx, "runbooks/remediation/active/"+id); err == nil {
		t.Fatal("the resolved remediation is still active after a tick")
	}

	r = h.remediation(ctx, id)
	if len(r.Instances) != n || r.InstanceCount() != n {
		t.Fatalf("archived remediation reads back %d instances (count %d), want %d", len(r.Instances), r.InstanceCount(), n)
	}
	for i, in := range r.Instances {
		if in.Host.ID != ids[i] || in.Compliance != runbooks.Compliant || !in.Since.Equal(since[in.Host.ID]) ||
			!slices.Equal(in.Rules, []string{"ec2-managedinstance-patch-compliance-status-check"}) || in.Host.Account != "210987654321" {
			t.Fatalf("instance %d reads back as %+v; want %s, COMPLIANT since %s under the one rule", i, in, ids[i], since[ids[i]])
		}
	}
	checkGatheredBlob(t, h, id, ids)
	checkNoStrayBlobs(t, h, r)
	return m.record, m.largest, m.largestKey
}

// checkNoStrayBlobs: after the archive the remediation's blob key space
// holds only blobs its record or its audit trail names (the instances
// blobs replaced on the way, named by neither, are gone).
func checkNoStrayBlobs(t *testing.T, h *harness, r *runbooks.Remediation) {
	t.Helper()
	ctx := context.Background()
	named := map[string]bool{r.InstancesBlob.SHA256: true}
	for _, b := range r.Evidence {
		named[b.SHA256] = true
	}
	for _, ev := range h.remEvents(ctx, r.ID) {
		for k, v := range ev.Data {
			if strings.HasSuffix(k, "sha256") {
				named[v] = true
			}
		}
	}
	recs, err := h.store.List(ctx, "blobs/"+r.ID+"/")
	if err != nil {
		t.Fatal(err)
	}
	held := map[string]bool{}
	for _, rec := range recs {
		digest, _, _ := strings.Cut(strings.TrimPrefix(rec.Key, "blobs/"+r.ID+"/"), "/")
		held[digest] = true
		if !named[digest] {
			t.Errorf("blob %s of %s is named by neither the record nor the audit trail", digest[:12], r.ID)
		}
	}
	if !held[r.InstancesBlob.SHA256] || len(r.Evidence) < 2 {
		t.Errorf("the archive keeps %d blob(s), %d audited instances blob(s); want the final instances blob and the gathered and resolved ones",
			len(held), len(r.Evidence))
	}
}

// checkGatheredBlob reads the blob the gather's audit event names by its
// digest straight from the store and finds the gathered instances in it.
func checkGatheredBlob(t *testing.T, h *harness, id string, ids []string) {
	t.Helper()
	ctx := context.Background()
	evs := h.remEvents(ctx, id)
	i := slices.IndexFunc(evs, func(ev runbooks.Event) bool { return ev.Type == runbooks.EvRemediationGathered })
	if i < 0 {
		t.Fatal("no remediation.gathered event in the audit trail")
	}
	d := evs[i].Data
	size, _ := strconv.Atoi(d["size"])
	var raw []byte
	for k := 0; len(raw) < size; k++ {
		c, err := h.store.Get(ctx, strings.TrimSuffix(d["blob"], "0000")+fmt.Sprintf("%04d", k))
		if err != nil {
			t.Fatalf("chunk %d of the audited blob %s: %v", k, d["blob"], err)
		}
		raw = append(raw, c.Value...)
	}
	if got := sha256Hex(raw); got != d["sha256"] {
		t.Fatalf("the audited blob's bytes hash to %s, the event says %s", got, d["sha256"])
	}
	var ins []runbooks.RemediationInstance
	if err := json.Unmarshal(raw, &ins); err != nil {
		t.Fatal(err)
	}
	got := make([]string, len(ins))
	for k, in := range ins {
		got[k] = in.Host.ID
	}
	if !slices.Equal(got, ids) || d["instances"] != strconv.Itoa(len(ids)) {
		t.Fatalf("the audited blob holds %d instances (event says %s), want the %d gathered in order", len(got), d["instances"], len(ids))
	}
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func errors1(errs []error) error {
	if len(errs) == 0 {
		return nil
	}
	return errs[0]
}

// TestRecordSizeRemediation20000Instances: one Config rule failing across
// an environment of 20,000 instances makes one remediation that runs from
// its events to its archive while the record every tick decodes stays
// under 64 KB and no value written to the store passes 1 MB; afterwards
// all 20,000 instances read back in order with their verdicts, and the
// blob the gather's audit event names is still there.
func TestRecordSizeRemediation20000Instances(t *testing.T) {
	sizes := []int{2000, 20000}
	if testing.Short() || testkit.RaceEnabled {
		// Under the race detector the 20,000 intakes alone take minutes;
		// the race checks are the 2,000's, the size bound the plain run's.
		sizes = sizes[:1]
	}
	for _, b := range backends() {
		for _, n := range sizes {
			t.Run(fmt.Sprintf("%s/%d", b.name, n), func(t *testing.T) {
				record, largest, key := remediationAtScale(t, b, n)
				t.Logf("%s, %d instances: largest remediation record %d B; largest value written %d B (%s)", b.name, n, record, largest, key)
				if record >= 64<<10 {
					t.Errorf("the remediation record reached %d B, want under 64 KB", record)
				}
				if largest > 1<<20 {
					t.Errorf("a store value of %d B was written (%s), want none over 1 MB", largest, key)
				}
			})
		}
	}
}

// TestRecordSizeRemediationFailedGateFindings: the sensor gate of a
// 2,000-instance remediation finds every instance's kernel unsupported;
// the gate's findings and the failure's (one per instance) live in blobs,
// so the record stays under 64 KB, while the remediation read back names
// every instance in both.
func TestRecordSizeRemediationFailedGateFindings(t *testing.T) {
	for _, b := range backends() {
		t.Run(b.name, func(t *testing.T) {
			ctx := context.Background()
			const n = 2000
			s := openScaleRemediation(t, b, n, sim.Faults{KernelMismatch: []string{scaleTenant().Name + "/staging"}})
			h := s.h
			h.clock.Advance(runbooks.DefaultRemediationDebounce)
			h.runRemediation(ctx, s.id, 5)
			if _, err := h.decideRem(ctx, s.id, runbooks.Approve, alice, ""); err != nil {
				t.Fatal(err)
			}
			r := h.runRemediation(ctx, s.id, 30)
			if r.Status != runbooks.RemFailed || r.Failure == nil {
				t.Fatalf("remediation %s, want failed at the sensor gate", r.Status)
			}
			g := r.Gates[len(r.Gates)-1]
			if g.Name != "sensors" || len(g.Findings) != n || len(r.Failure.Findings) != n {
				t.Fatalf("gate %s with %d findings, failure with %d; want sensors, %d and %d", g.Name, len(g.Findings), len(r.Failure.Findings), n, n)
			}
			t.Logf("%s: largest remediation record %d B, largest value %d B", b.name, s.m.record, s.m.largest)
			if s.m.record >= 64<<10 {
				t.Errorf("the remediation record reached %d B, want under 64 KB", s.m.record)
			}
		})
	}
}
