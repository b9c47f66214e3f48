package reports

import (
	"context"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/sla"
)

// SLAPosture is what a cycle report takes from the patch SLA posture: the
// tenant's latest snapshot and its exceptions, or why it could not be read.
type SLAPosture struct {
	Snapshot   *sla.Snapshot
	Exceptions []sla.Exception
	Error      string
}

func (d *Dir) slaPosture(ctx context.Context, tenant string) *SLAPosture {
	if d.SLA == nil {
		return nil
	}
	p, err := d.SLA(ctx, tenant)
	if err != nil {
		return &SLAPosture{Error: err.Error()}
	}
	return p
}

// slaPCI633 measures PCI DSS 6.3.3 as the requirement reads — critical
// patches installed within one month of release — from the latest posture
// scan, when there is one; excepted hosts are listed with who accepted
// them, not counted. Without a scan (or when it cannot be read) the
// control keeps its host-level measure, which says what it measured.
func slaPCI633(b *Bundle) (Result, bool) {
	if b.SLA == nil || b.SLA.Snapshot == nil {
		return Result{}, false
	}
	s := b.SLA.Snapshot
	ev := []string{sla.PCIText(s.PCI633) + fmt.Sprintf(" — posture scan of %s, sources: %s", s.At.UTC().Format(time.RFC3339), slaOrNone(joinComma(s.Sources)))}
	for _, x := range b.SLA.Exceptions {
		if x.InForce(b.Now) {
			ev = append(ev, "Excepted: "+sla.ExceptionLine(x))
		}
	}
	var ex []string
	for _, it := range s.Items {
		if it.Status == sla.Overdue && it.Severity == runbooks.PatchCritical && !b.Now.Before(it.Start.AddDate(0, 1, 0)) {
			if len(ex) == maxListed {
				ex = append(ex, "… and more (patchgate sla posture "+s.Tenant+")")
				break
			}
			ex = append(ex, sla.ItemLine(it))
		}
	}
	if s.PCI633.Overdue > 0 && len(ex) == 0 {
		ex = append(ex, fmt.Sprintf("%d hosts with a critical patch missing over one month after release", s.PCI633.Overdue))
	}
	return verdict(ev, ex), true
}

func joinComma(s []string) string {
	out := ""
	for i, x := range s {
		if i > 0 {
			out += ", "
		}
		out += x
	}
	return out
}
