package aws

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/patchgate/patchgate/runbooks"
)

// VerifyPatch runs a Scan of the patched hosts (sent once per tag), waits
// for it up to the configured scan wait, then reads each host's patch
// state: any missing or failed patch, or no state at all, is a finding. A
// scan still running when the wait ends does not fail verification: the
// Install run already reported compliance when it finished.
func (p *Provider) VerifyPatch(ctx context.Context, req runbooks.OpRequest) ([]runbooks.Finding, error) {
	hosts := awsHosts(req.Hosts)
	if len(hosts) == 0 {
		return nil, nil
	}
	h, _, err := p.sendOp(ctx, req, "scan", true)
	if err != nil {
		return nil, err
	}
	findings, err := p.awaitScan(ctx, h)
	if err != nil {
		return nil, err
	}
	states, err := p.stateFindings(ctx, hosts)
	if err != nil {
		return nil, err
	}
	findings = append(findings, states...)
	sort.SliceStable(findings, func(i, j int) bool { return findings[i].HostID < findings[j].HostID })
	return findings, nil
}

// awaitScan polls the scan until it is done or the scan wait is over and
// returns the hosts whose scan failed.
func (p *Provider) awaitScan(ctx context.Context, h handle) ([]runbooks.Finding, error) {
	deadline := time.Now().Add(p.cfg.Patch.ScanWait)
	for {
		st, err := p.commandStatus(ctx, h)
		if err != nil {
			return nil, err
		}
		if st.Done || !time.Now().Before(deadline) {
			for i := range st.Findings {
				st.Findings[i].Reason = "scan " + st.Findings[i].Reason
			}
			return st.Findings, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(p.cfg.PollInterval):
		}
	}
}

// stateFindings reads DescribeInstancePatchStates for hosts in batches of
// 50 per account and region.
func (p *Provider) stateFindings(ctx context.Context, hosts []runbooks.Host) ([]runbooks.Finding, error) {
	var (
		mu  sync.Mutex
		out []runbooks.Finding
	)
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range scopes(hosts) {
		c := p.clientsFor(s.Account, s.Region)
		for batch := range slices.Chunk(s.Hosts, ssmBatch) {
			g.Go(func() error {
				ids := make([]string, len(batch))
				for i, h := range batch {
					ids[i] = h.ID
				}
				states, err := p.patchStates(gctx, c, ids)
				if err != nil {
					return err
				}
				mu.Lock()
				defer mu.Unlock()
				for _, h := range batch {
					st, ok := states[h.ID]
					f := runbooks.Finding{HostID: h.ID, HostName: h.Name}
					switch {
					case !ok:
						f.Reason = "SSM has no patch state for this instance"
					case st.MissingCount > 0 || st.FailedCount > 0:
						f.Reason = fmt.Sprintf("%d patch(es) missing, %d failed after patching", st.MissingCount, st.FailedCount)
					default:
						continue
					}
					out = append(out, f)
				}
				return nil
			})
		}
	}
	return out, g.Wait()
}
