package sla

import (
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Item and host statuses, best to worst.
const (
	Within   = "within"   // deadline more than DueSoon away
	Due      = "due"      // deadline within DueSoon
	Overdue  = "overdue"  // deadline passed
	Excepted = "excepted" // an exception in force covers it
	// Unmanaged is a host the patch agent does not know: nothing about
	// its patches was measured.
	Unmanaged = "unmanaged"
)

// Where an item's SLA clock started.
const (
	StartReleased  = "vendor release date"
	StartFirstSeen = "first seen missing by patchgate" // the source gave no release date
)

// Item is one patch a host lacks, with its deadline and verdict.
type Item struct {
	runbooks.PatchFinding
	Start       time.Time `json:"start"`
	StartSource string    `json:"start_source"`
	Deadline    time.Time `json:"deadline"`
	// KEV names a CVE of the patch in the KEV catalogue ("" if none): the
	// one that set the deadline when the KEV deadline is the shorter.
	KEV       string `json:"kev,omitempty"`
	Status    string `json:"status"`
	Exception string `json:"exception,omitempty"` // the exception in force, when excepted
}

// Pages reports whether the item is a breach that pages: an overdue
// critical patch, or an overdue KEV CVE.
func (it *Item) Pages() bool {
	return it.Status == Overdue && (it.Severity == runbooks.PatchCritical || it.KEV != "")
}

// Counts are host counts by status. Compliant hosts are Within plus Due.
type Counts struct {
	Hosts     int `json:"hosts"`
	Within    int `json:"within"`
	Due       int `json:"due"`
	Overdue   int `json:"overdue"`
	Excepted  int `json:"excepted"`
	Unmanaged int `json:"unmanaged"`
}

func (c *Counts) add(status string) {
	c.Hosts++
	switch status {
	case Within:
		c.Within++
	case Due:
		c.Due++
	case Overdue:
		c.Overdue++
	case Excepted:
		c.Excepted++
	case Unmanaged:
		c.Unmanaged++
	}
}

// Measured is the hosts the rate is taken over: managed and not excepted.
func (c Counts) Measured() int { return c.Within + c.Due + c.Overdue }

// Rate is the share of measured hosts within SLA, and false when no host
// was measured (a rate of nothing is not 100%).
func (c Counts) Rate() (float64, bool) {
	if c.Measured() == 0 {
		return 0, false
	}
	return float64(c.Within+c.Due) / float64(c.Measured()), true
}

// Plus adds two counts.
func (c Counts) Plus(o Counts) Counts {
	return Counts{c.Hosts + o.Hosts, c.Within + o.Within, c.Due + o.Due, c.Overdue + o.Overdue, c.Excepted + o.Excepted, c.Unmanaged + o.Unmanaged}
}

// HostVerdict is one host's status: the worst of its items that are not
// excepted; excepted when only excepted items keep it from Within.
type HostVerdict struct {
	HostID string `json:"host"`
	Name   string `json:"name,omitempty"`
	Env    string `json:"env"`
	Status string `json:"status"`
	// PCI is false when a critical patch has been missing for more than a
	// month after its release without an exception (PCI DSS 6.3.3).
	PCI bool `json:"pci"`
}

// Input is one tenant's hosts and findings at one time.
type Input struct {
	Tenant     string
	Now        time.Time
	Deadlines  Deadlines
	KEV        *KEV
	Exceptions []Exception
	Hosts      []runbooks.Host
	Findings   []runbooks.PatchFinding
	// FirstSeen returns when patchgate first saw a patch missing on a
	// host, for findings without a release date (nil: now).
	FirstSeen func(host, patch string) time.Time
}

// Result is a tenant's evaluation.
type Result struct {
	Tenant string
	At     time.Time
	Items  []Item // not installed, by host then deadline
	Hosts  []HostVerdict
	// ByEnv counts hosts per environment; Total across them.
	ByEnv map[string]Counts
	Total Counts
	// PCI633 counts hosts under PCI DSS 6.3.3: Within are managed,
	// not excepted hosts with no critical patch missing more than one
	// month after release, Overdue those with one.
	PCI633 Counts
}

// Evaluate gives every missing, failed or reboot-pending patch its deadline
// and status, and every host its verdict. It does no I/O.
func Evaluate(in Input) Result {
	t := newTally(&in, true)
	// Evaluate's findings arrive as one part, so no host can span two.
	_ = t.add(in.Findings)
	return t.result()
}

func (in *Input) item(f runbooks.PatchFinding) Item {
	it := Item{PatchFinding: f, Start: f.Released, StartSource: StartReleased}
	if f.Released.IsZero() {
		it.Start, it.StartSource = in.Now, StartFirstSeen
		if in.FirstSeen != nil {
			if t := in.FirstSeen(f.HostID, f.PatchID); !t.IsZero() {
				it.Start = t
			}
		}
	}
	it.Deadline = it.Start.Add(time.Duration(in.Deadlines.Days(f.Severity)) * Day)
	for _, cve := range f.CVEs {
		e, ok := in.KEV.Lookup(cve)
		if !ok {
			continue
		}
		start := it.Start
		if e.Added.After(start) {
			start = e.Added
		}
		if it.KEV == "" {
			it.KEV = e.CVE
		}
		if d := start.Add(time.Duration(in.Deadlines.KEV) * Day); d.Before(it.Deadline) {
			it.Deadline, it.KEV = d, e.CVE
		}
	}
	switch left := it.Deadline.Sub(in.Now); {
	case left <= 0:
		it.Status = Overdue
	case left <= DueSoon:
		it.Status = Due
	default:
		it.Status = Within
	}
	for i := range in.Exceptions {
		if x := &in.Exceptions[i]; x.InForce(in.Now) && x.Covers(&f) {
			it.Status, it.Exception = Excepted, x.ID
			break
		}
	}
	return it
}

// verdict is a managed host's status and its PCI DSS 6.3.3 standing.
func (in *Input) verdict(items []Item) (string, bool) {
	worst, excepted, pci := Within, false, true
	rank := map[string]int{Within: 0, Due: 1, Overdue: 2}
	for i := range items {
		it := &items[i]
		if it.Status == Excepted {
			excepted = true
			continue
		}
		if rank[it.Status] > rank[worst] {
			worst = it.Status
		}
		if it.Severity == runbooks.PatchCritical && !in.Now.Before(it.Start.AddDate(0, 1, 0)) {
			pci = false
		}
	}
	if worst != Overdue && excepted {
		return Excepted, pci
	}
	return worst, pci
}
