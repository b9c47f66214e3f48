package azure

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.PatchFindingsEach = (*Provider)(nil)

// PatchFindings runs assessPatches on each Azure VM among hosts (within the
// provider's per-subscription bounds) and lists the patches its result's
// availablePatches names, each with its publishedDate as release date.
// Azure reports classifications, not vendor severities, and no CVE IDs:
// Critical maps to critical, Security to high, the rest to unrated.
// Arc-enabled servers are not read: their assessPatches result only counts
// patches by classification, so Measured says they were not measured.
func (p *Provider) PatchFindings(ctx context.Context, hosts []runbooks.Host) ([]runbooks.PatchFinding, error) {
	var out []runbooks.PatchFinding
	err := p.EachPatchFindings(ctx, hosts, func(fs []runbooks.PatchFinding) error { out = append(out, fs...); return nil })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachPatchFindings is PatchFindings VM by VM: each VM's findings are
// handed to each (one at a time) as its assessment ends.
func (p *Provider) EachPatchFindings(ctx context.Context, hosts []runbooks.Host, each func([]runbooks.PatchFinding) error) error {
	var vms []runbooks.Host
	for _, h := range azureHosts(hosts) {
		if p.Measured(h) {
			vms = append(vms, h)
		}
	}
	var mu sync.Mutex
	return p.each(ctx, len(vms), func(i int) string { return vms[i].Account }, func(ctx context.Context, i int) error {
		fs, err := p.vmFindings(ctx, vms[i])
		if err != nil || len(fs) == 0 {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		return each(fs)
	})
}

// Measured reports whether PatchFindings reads h: managed Azure VMs only.
func (p *Provider) Measured(h runbooks.Host) bool {
	if h.Cloud != runbooks.Azure || !h.Managed {
		return false
	}
	r, err := parseMachine(h.ID)
	return err == nil && r.kind == kindVM
}

func (p *Provider) vmFindings(ctx context.Context, h runbooks.Host) ([]runbooks.PatchFinding, error) {
	r, err := parseMachine(h.ID)
	if err != nil {
		return nil, err
	}
	c, err := p.sub(r.sub)
	if err != nil {
		return nil, err
	}
	poller, err := c.vms.BeginAssessPatches(ctx, r.group, r.name, nil)
	if err != nil {
		return nil, fmt.Errorf("assessPatches on %s: %w", h.Name, armCallError(err))
	}
	// An assessment takes minutes; one that never ends is given up after
	// AssessTimeout, as VerifyPatch does, instead of holding the scan.
	start := p.now()
	for !poller.Done() {
		if waited := p.now().Sub(start); waited > p.cfg.AssessTimeout {
			return nil, fmt.Errorf("assessPatches on %s did not finish within %v of polling (providers.azure.assess_timeout); stopped", h.Name, p.cfg.AssessTimeout)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("assessPatches on %s: %w", h.Name, ctx.Err())
		case <-time.After(p.cfg.PollInterval):
		}
		if _, err := poller.Poll(ctx); err != nil {
			return nil, fmt.Errorf("poll assessPatches on %s: %w", h.Name, armCallError(err))
		}
	}
	res, err := poller.Result(ctx)
	if err != nil {
		return nil, fmt.Errorf("assessPatches on %s: %w", h.Name, armCallError(err))
	}
	v := res.VirtualMachineAssessPatchesResult
	if s := statusOf(v.Status); s != "Succeeded" && s != "CompletedWithWarnings" {
		return nil, fmt.Errorf("assessPatches on %s ended with status %q", h.Name, s)
	}
	var out []runbooks.PatchFinding
	for _, pt := range v.AvailablePatches {
		if pt == nil {
			continue
		}
		var classes []string
		for _, c := range pt.Classifications {
			if c != nil {
				classes = append(classes, *c)
			}
		}
		f := runbooks.PatchFinding{HostID: h.ID, HostName: h.Name, Env: h.Env, PatchID: str(pt.PatchID), Title: str(pt.Name),
			Severity: classSeverity(classes), VendorSeverity: strings.Join(classes, ", "), Classification: strings.Join(classes, ", "),
			State: runbooks.PatchMissing, Source: runbooks.SourceAzureVM + " assessPatches"}
		if kb := str(pt.KbID); kb != "" {
			f.PatchID = "KB" + strings.TrimPrefix(kb, "KB")
		}
		if pt.PublishedDate != nil {
			f.Released = pt.PublishedDate.UTC()
		}
		out = append(out, f)
	}
	return out, nil
}

// classSeverity maps Azure's update classifications.
func classSeverity(classes []string) string {
	sev := runbooks.PatchUnrated
	for _, c := range classes {
		switch strings.ToLower(c) {
		case "critical":
			return runbooks.PatchCritical
		case "security":
			sev = runbooks.PatchHigh
		}
	}
	return sev
}
