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
// failed. An assessment takes minutes, longer than one engine step: the
// first call starts them and each later call polls them (at most every
// PollInterval), answering CodePending until all have ended or
// AssessTimeout has passed.
func (p *Provider) VerifyPatch(ctx context.Context, req runbooks.OpRequest) ([]runbooks.Finding, error) {
	hosts := azureHosts(req.Hosts)
	as := make([]*assessment, len(hosts))
	err := p.each(ctx, len(hosts), func(i int) string { return hosts[i].Account }, func(ctx context.Context, i int) error {
		a := p.assessmentOf(req.Tag, hosts[i])
		as[i] = a
		return p.advance(ctx, a, hosts[i])
	})
	if err != nil {
		return nil, fmt.Errorf("azure assessPatches for %s: %w", req.Tag, err)
	}
	running := 0
	for _, a := range as {
		if !a.done {
			running++
		}
	}
	if running > 0 {
		return nil, runbooks.Errorf(runbooks.CodePending, "patch assessment still running on %d of %d Azure machine(s)", running, len(hosts))
	}
	var out []runbooks.Finding
	for i, a := range as {
		if a.why != "" {
			out = append(out, runbooks.Finding{HostID: hosts[i].ID, HostName: hosts[i].Name, Reason: a.why})
		}
	}
	p.mu.Lock()
	for _, h := range hosts {
		delete(p.assessing, req.Tag+"|"+h.ID)
	}
	p.mu.Unlock()
	return out, nil
}

// assessment is one machine's post-patch assessment across calls.
type assessment struct {
	lro     polled
	result  func(context.Context) (string, error) // why, once lro is done
	started time.Time
	polled  time.Time
	why     string // "" when nothing critical is left
	done    bool
}

func (p *Provider) assessmentOf(tag string, h runbooks.Host) *assessment {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.assessing == nil {
		p.assessing = map[string]*assessment{}
	}
	key := tag + "|" + h.ID
	a := p.assessing[key]
	if a == nil {
		a = &assessment{started: p.now()}
		p.assessing[key] = a
	}
	return a
}

// advance starts the machine's assessment, or polls it once if the poll
// interval has passed, and records its verdict when it ends.
func (p *Provider) advance(ctx context.Context, a *assessment, h runbooks.Host) error {
	now := p.now()
	switch {
	case a.done:
		return nil
	case !a.polled.IsZero() && now.Sub(a.polled) < p.cfg.PollInterval:
		return nil
	case now.Sub(a.started) > p.cfg.AssessTimeout:
		a.why, a.done = fmt.Sprintf("patch assessment did not finish within %v", p.cfg.AssessTimeout), true
		return nil
	}
	a.polled = now
	if a.lro == nil {
		why, err := p.beginAssess(ctx, a, h)
		if why != "" || err != nil {
			a.why, a.done = why, why != ""
			return err
		}
		if a.lro == nil {
			return nil // another assessment is running on the machine; start ours later
		}
	}
	if !a.lro.Done() {
		if _, err := a.lro.Poll(ctx); permanent(err) {
			a.why, a.done = "assessPatches status unavailable: "+reason(err), true
			return nil
		} else if err != nil {
			return fmt.Errorf("poll assessPatches on %s: %w", h.Name, err)
		}
	}
	if !a.lro.Done() {
		return nil
	}
	why, err := a.result(ctx)
	if err != nil {
		return err
	}
	a.why, a.done = why, true
	return nil
}

// beginAssess starts the machine's assessment. A machine already being
// assessed (409, e.g. by a replica that took the cycle over) is asked again
// on a later call.
func (p *Provider) beginAssess(ctx context.Context, a *assessment, h runbooks.Host) (string, error) {
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
		if conflict(err) {
			return "", nil
		}
		if err != nil {
			return "assessPatches refused: " + reason(err), nil
		}
		a.lro = lro
		a.result = func(ctx context.Context) (string, error) {
			res, err := lro.Result(ctx)
			if err != nil {
				return "assessPatches failed: " + reason(err), nil
			}
			v := res.VirtualMachineAssessPatchesResult
			return remaining(statusOf(v.Status), i32(v.CriticalAndSecurityPatchCount)), nil
		}
		return "", nil
	}
	lro, err := c.arcs.BeginAssessPatches(ctx, r.group, r.name, nil)
	if conflict(err) {
		return "", nil
	}
	if err != nil {
		return "assessPatches refused: " + reason(err), nil
	}
	a.lro = lro
	a.result = func(ctx context.Context) (string, error) {
		res, err := lro.Result(ctx)
		if err != nil {
			return "assessPatches failed: " + reason(err), nil
		}
		m := res.MachineAssessPatchesResult
		n := 0
		if k := m.AvailablePatchCountByClassification; k != nil {
			n = i32(k.Critical) + i32(k.Security)
		}
		status := ""
		if m.Status != nil {
			status = string(*m.Status)
		}
		return remaining(status, n), nil
	}
	return "", nil
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

type polled interface {
	Done() bool
	Poll(context.Context) (*http.Response, error)
}
