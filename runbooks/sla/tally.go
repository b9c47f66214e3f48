package sla

import (
	"fmt"
	"sort"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// tally evaluates findings as they arrive, a few hosts at a time, and
// keeps what a snapshot needs: counts, overdue by severity, critical ages,
// sources and the MaxListed most urgent items. Only Evaluate keeps every
// item and verdict (keep); a scan of 20,000 hosts × 30 patches holds one
// part of its findings at a time.
type tally struct {
	in      *Input
	keep    bool
	index   map[string]int // in.Hosts by ID
	verdict map[string]HostVerdict
	res     Result
	snap    Snapshot
	sources map[string]bool
	listed  []Item
	buf     []Item // one part's items, reused
	done    bool   // finish ran
	// onItem sees every evaluated item once (the scan pages from it).
	onItem func(*Item)
}

func newTally(in *Input, keep bool) *tally {
	t := &tally{in: in, keep: keep, index: make(map[string]int, len(in.Hosts)), verdict: map[string]HostVerdict{},
		res: Result{Tenant: in.Tenant, At: in.Now, ByEnv: map[string]Counts{}}, sources: map[string]bool{},
		snap: Snapshot{OverdueBySeverity: map[string]int{}, CriticalAges: map[string]int{}}}
	for i, h := range in.Hosts {
		t.index[h.ID] = i
	}
	return t
}

// add evaluates one part of the findings: every finding of the hosts it
// names. A host whose findings arrive in two parts is an error, since its
// verdict was already counted.
func (t *tally) add(part []runbooks.PatchFinding) error {
	items := t.buf[:0]
	for i := range part {
		f := part[i]
		if f.State == runbooks.PatchInstalled {
			continue
		}
		f.Tenant = t.in.Tenant
		items = append(items, t.in.item(f))
		t.note(&items[len(items)-1])
	}
	// A provider's part is usually one host's findings already together.
	if !sort.SliceIsSorted(items, func(i, j int) bool { return items[i].HostID < items[j].HostID }) {
		sort.SliceStable(items, func(i, j int) bool { return items[i].HostID < items[j].HostID })
	}
	if t.keep {
		t.res.Items = append(t.res.Items, items...)
	}
	for lo := 0; lo < len(items); {
		hi := lo + 1
		for hi < len(items) && items[hi].HostID == items[lo].HostID {
			hi++
		}
		if err := t.judge(items[lo].HostID, items[lo:hi]); err != nil {
			return err
		}
		lo = hi
	}
	clear(items)
	t.buf = items[:0]
	return nil
}

// judge counts the verdict of one host of the inventory from all its items.
func (t *tally) judge(id string, items []Item) error {
	i, ok := t.index[id]
	if !ok {
		return nil
	}
	if _, dup := t.verdict[id]; dup {
		return fmt.Errorf("the patch findings of host %s arrived in two parts", id)
	}
	h := t.in.Hosts[i]
	v := HostVerdict{HostID: h.ID, Name: h.Name, Env: h.Env, Status: Unmanaged}
	if h.Managed {
		v.Status, v.PCI = t.in.verdict(items)
	}
	t.count(v)
	return nil
}

// note adds one item to the snapshot's figures and bounded list.
func (t *tally) note(it *Item) {
	t.sources[it.Source] = true
	if it.Severity == runbooks.PatchCritical && it.Status != Excepted {
		t.snap.CriticalAges[ageBucket(int(t.in.Now.Sub(it.Start)/Day))]++
	}
	if t.onItem != nil {
		t.onItem(it)
	}
	switch it.Status {
	case Overdue:
		t.snap.OverdueBySeverity[it.Severity]++
	case Within:
		return
	}
	t.snap.Listed++
	t.listed = append(t.listed, *it)
	if len(t.listed) >= 2*MaxListed {
		t.trimListed()
	}
}

var listRank = map[string]int{Overdue: 0, Due: 1, Excepted: 2}

// trimListed keeps the MaxListed most urgent items: overdue, then due,
// then excepted, each soonest deadline first.
func (t *tally) trimListed() {
	sort.SliceStable(t.listed, func(i, j int) bool {
		x, y := &t.listed[i], &t.listed[j]
		if listRank[x.Status] != listRank[y.Status] {
			return listRank[x.Status] < listRank[y.Status]
		}
		if !x.Deadline.Equal(y.Deadline) {
			return x.Deadline.Before(y.Deadline)
		}
		if x.HostID != y.HostID {
			return x.HostID < y.HostID
		}
		return x.PatchID < y.PatchID
	})
	clear(t.listed[min(len(t.listed), MaxListed):])
	t.listed = t.listed[:min(len(t.listed), MaxListed)]
}

func (t *tally) count(v HostVerdict) {
	t.verdict[v.HostID] = v
	c := t.res.ByEnv[v.Env]
	c.add(v.Status)
	t.res.ByEnv[v.Env] = c
	t.res.Total.add(v.Status)
	switch {
	case v.Status == Unmanaged || v.Status == Excepted:
		t.res.PCI633.add(v.Status)
	case v.PCI:
		t.res.PCI633.add(Within)
	default:
		t.res.PCI633.add(Overdue)
	}
}

// unread marks the managed hosts that no part named yet as not measured
// (why says so) and returns how many: after a failed read their findings
// are unknown, so finish must not count them clean.
func (t *tally) unread(why string) int {
	n := 0
	for i := range t.in.Hosts {
		h := &t.in.Hosts[i]
		if _, ok := t.verdict[h.ID]; ok || !h.Managed {
			continue
		}
		h.Managed, h.AgentStatus = false, why
		n++
	}
	return n
}

// finish counts the hosts no finding named: managed ones lack nothing.
func (t *tally) finish() {
	if t.done {
		return
	}
	t.done = true
	for _, h := range t.in.Hosts {
		if _, ok := t.verdict[h.ID]; ok {
			continue
		}
		v := HostVerdict{HostID: h.ID, Name: h.Name, Env: h.Env, Status: Unmanaged}
		if h.Managed {
			v.Status, v.PCI = Within, true
		}
		t.count(v)
	}
}

// result is Evaluate's whole Result: items by host then deadline, verdicts
// in the hosts' order.
func (t *tally) result() Result {
	t.finish()
	res := t.res
	for _, h := range t.in.Hosts {
		res.Hosts = append(res.Hosts, t.verdict[h.ID])
	}
	sort.SliceStable(res.Items, func(a, b int) bool {
		x, y := &res.Items[a], &res.Items[b]
		if x.HostID != y.HostID {
			return x.HostID < y.HostID
		}
		return x.Deadline.Before(y.Deadline)
	})
	return res
}

// snapshot is the day's Snapshot of what was added.
func (t *tally) snapshot(kev *KEV) Snapshot {
	t.finish()
	s := t.snap
	s.Tenant, s.Day, s.At = t.in.Tenant, t.in.Now.UTC().Format(time.DateOnly), t.in.Now
	s.ByEnv, s.Total, s.PCI633 = t.res.ByEnv, t.res.Total, t.res.PCI633
	if kev != nil {
		s.KEV = kev.Version
	}
	for src := range t.sources {
		s.Sources = append(s.Sources, src)
	}
	sort.Strings(s.Sources)
	t.trimListed()
	s.Items = t.listed
	return s
}
