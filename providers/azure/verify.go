package azure

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// VerifyPatch runs a fresh assessPatches on every Azure machine and reports
// each that still misses critical or security patches, or whose assessment
// failed. It waits for the assessments within ctx, polling every
// PollInterval.
func (p *Provider) VerifyPatch(ctx context.Context, req runbooks.OpRequest) ([]runbooks.Finding, error) {
	hosts := azureHosts(req.Hosts)
	why := make([]string, len(hosts))
	err := p.each(ctx, len(hosts), func(i int) string { return hosts[i].Account }, func(ctx context.Context, i int) error {
		var err error
		why[i], err = p.assess(ctx, hosts[i])
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("azure assessPatches for %s: %w", req.Tag, err)
	}
	var out []runbooks.Finding
	for i, w := range why {
		if w != "" {
			out = append(out, runbooks.Finding{HostID: hosts[i].ID, HostName: hosts[i].Name, Reason: w})
		}
	}
	return out, nil
}

// assess runs one machine's assessment: "" when nothing critical is left.
func (p *Provider) assess(ctx context.Context, h runbooks.Host) (string, error) {
	r, err := parseMachine(h.ID)
	if err != nil {
		return err.Error(), nil
	}
	c, err := p.sub(r.sub)
	if err != nil {
		return "", err
	}
	if r.kind == kindVM {
		lro, err := c.vms.BeginAssessPatches(ctx, r.group, r.name, nil)
		if err != nil {
			return "assessPatches refused: " + reason(err), nil
		}
		if why, err := p.wait(ctx, lro, r.name); why != "" || err != nil {
			return why, err
		}
		res, err := lro.Result(ctx)
		if err != nil {
			return "assessPatches failed: " + reason(err), nil
		}
		a := res.VirtualMachineAssessPatchesResult
		return remaining(statusOf(a.Status), i32(a.CriticalAndSecurityPatchCount)), nil
	}
	lro, err := c.arcs.BeginAssessPatches(ctx, r.group, r.name, nil)
	if err != nil {
		return "assessPatches refused: " + reason(err), nil
	}
	if why, err := p.wait(ctx, lro, r.name); why != "" || err != nil {
		return why, err
	}
	res, err := lro.Result(ctx)
	if err != nil {
		return "assessPatches failed: " + reason(err), nil
	}
	a := res.MachineAssessPatchesResult
	n := 0
	if k := a.AvailablePatchCountByClassification; k != nil {
		n = i32(k.Critical) + i32(k.Security)
	}
	status := ""
	if a.Status != nil {
		status = string(*a.Status)
	}
	return remaining(status, n), nil
}

func remaining(status string, critical int) string {
	switch {
	case status != "Succeeded" && status != "CompletedWithWarnings":
		return fmt.Sprintf("patch assessment ended with status %q", status)
	case critical > 0:
		return fmt.Sprintf("%d critical/security patch(es) still missing after patching", critical)
	}
	return ""
}

// wait polls an assessment until it ends: "" then, or why its status
// could not be read. PollUntilDone is not used because it refuses intervals
// under a second, which tests need.
func (p *Provider) wait(ctx context.Context, lro polled, name string) (string, error) {
	for !lro.Done() {
		if _, err := lro.Poll(ctx); permanent(err) {
			return "assessPatches status unavailable: " + reason(err), nil
		} else if err != nil {
			return "", fmt.Errorf("poll assessPatches on %s: %w", name, err)
		}
		if lro.Done() {
			break
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("assessPatches on %s still running: %w", name, ctx.Err())
		case <-time.After(p.cfg.PollInterval):
		}
	}
	return "", nil
}

type polled interface {
	Done() bool
	Poll(context.Context) (*http.Response, error)
}
