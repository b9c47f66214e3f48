package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"golang.org/x/sync/errgroup"

	"github.com/patchgate/patchgate/runbooks"
)

// commandStatus reads GetCommandInvocation for every instance of every
// command in h, under each account's concurrency bound, and counts them.
func (p *Provider) commandStatus(ctx context.Context, h handle) (runbooks.OpStatus, error) {
	var (
		mu       sync.Mutex
		st       runbooks.OpStatus
		inFlight int
	)
	g, gctx := errgroup.WithContext(ctx)
	for _, pt := range h.Parts {
		c := p.clientsFor(pt.Account, pt.Region)
		for cmd, ids := range pt.Commands {
			for _, id := range ids {
				g.Go(func() error {
					inv, err := p.invocation(gctx, c, cmd, id)
					if err != nil {
						return err
					}
					mu.Lock()
					defer mu.Unlock()
					st.Total++
					switch inv.Status {
					case ssmtypes.CommandInvocationStatusSuccess:
						st.Succeeded++
					case ssmtypes.CommandInvocationStatusFailed, ssmtypes.CommandInvocationStatusTimedOut,
						ssmtypes.CommandInvocationStatusCancelled:
						st.Failed++
						st.Findings = append(st.Findings, runbooks.Finding{HostID: id, HostName: h.name(id), Reason: failure(cmd, inv)})
					default:
						inFlight++
					}
					return nil
				})
			}
		}
	}
	if err := g.Wait(); err != nil {
		return runbooks.OpStatus{}, err
	}
	sort.Slice(st.Findings, func(i, j int) bool { return st.Findings[i].HostID < st.Findings[j].HostID })
	st.Done = inFlight == 0
	return st, nil
}

// invocation is one instance's invocation of cmd; right after SendCommand
// SSM may not know it yet, which counts as pending.
func (p *Provider) invocation(ctx context.Context, c *regional, cmd, id string) (*ssm.GetCommandInvocationOutput, error) {
	var out *ssm.GetCommandInvocationOutput
	err := p.call(ctx, c.account, func() (err error) {
		out, err = c.ssm.GetCommandInvocation(ctx, &ssm.GetCommandInvocationInput{CommandId: aws.String(cmd), InstanceId: aws.String(id)})
		return err
	})
	var missing *ssmtypes.InvocationDoesNotExist
	if errors.As(err, &missing) {
		return &ssm.GetCommandInvocationOutput{Status: ssmtypes.CommandInvocationStatusPending}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("ssm GetCommandInvocation %s on %s in %s/%s: %w", cmd, id, c.account, c.region, err)
	}
	return out, nil
}

// failure says why an invocation failed: SSM's status detail plus the
// first line of the document's error output, which names the failing step.
func failure(cmd string, inv *ssm.GetCommandInvocationOutput) string {
	r := fmt.Sprintf("command %s %s", cmd, inv.Status)
	if d := aws.ToString(inv.StatusDetails); d != "" && d != string(inv.Status) {
		r += " (" + d + ")"
	}
	if e := strings.TrimSpace(aws.ToString(inv.StandardErrorContent)); e != "" {
		line, _, _ := strings.Cut(e, "\n")
		if len(line) > 200 {
			line = line[:200] + "…"
		}
		r += ": " + line
	}
	return r
}
