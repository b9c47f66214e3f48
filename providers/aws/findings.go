package aws

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"golang.org/x/sync/errgroup"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.PatchFindingsEach = (*Provider)(nil)

// findingsFanOut bounds how many hosts' DescribeInstancePatches run at once
// across accounts; each call also waits for its account's limiter.
const findingsFanOut = 16

// findingStates are the DescribeInstancePatches State filter values read:
// what a host lacks, not what it has.
var findingStates = []string{"Missing", "Failed", "InstalledPendingReboot"}

// PatchFindings lists the missing, failed and reboot-pending patches of the
// managed AWS hosts among hosts, one DescribeInstancePatches walk per host
// (the API takes one instance ID). SSM reports no release date here, so
// Released stays zero and the SLA clock starts when patchgate first sees a
// patch missing.
func (p *Provider) PatchFindings(ctx context.Context, hosts []runbooks.Host) ([]runbooks.PatchFinding, error) {
	var out []runbooks.PatchFinding
	err := p.EachPatchFindings(ctx, hosts, func(fs []runbooks.PatchFinding) error { out = append(out, fs...); return nil })
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EachPatchFindings is PatchFindings host by host: each host's findings
// are handed to each (one at a time) as its walk ends, so a scan holds the
// hosts being read, not the fleet's.
func (p *Provider) EachPatchFindings(ctx context.Context, hosts []runbooks.Host, each func([]runbooks.PatchFinding) error) error {
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(findingsFanOut)
	for _, h := range hosts {
		if h.Cloud != runbooks.AWS || !h.Managed {
			continue
		}
		g.Go(func() error {
			fs, err := p.hostFindings(gctx, p.clientsFor(h.Account, h.Region), h)
			if err != nil || len(fs) == 0 {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			return each(fs)
		})
	}
	return g.Wait()
}

func (p *Provider) hostFindings(ctx context.Context, c *regional, h runbooks.Host) ([]runbooks.PatchFinding, error) {
	pages := ssm.NewDescribeInstancePatchesPaginator(c.ssm, &ssm.DescribeInstancePatchesInput{
		InstanceId: aws.String(h.ID),
		Filters:    []ssmtypes.PatchOrchestratorFilter{{Key: aws.String("State"), Values: findingStates}},
		MaxResults: aws.Int32(100),
	})
	guard := runbooks.PageGuard{Loop: fmt.Sprintf("ssm DescribeInstancePatches of %s in %s/%s", h.ID, c.account, c.region), Max: p.maxPages}
	var out []runbooks.PatchFinding
	for pages.HasMorePages() {
		var page *ssm.DescribeInstancePatchesOutput
		err := p.call(ctx, c.account, func() (err error) { page, err = pages.NextPage(ctx); return err })
		if err != nil {
			return nil, fmt.Errorf("ssm DescribeInstancePatches %s in %s/%s: %w", h.ID, c.account, c.region, err)
		}
		// The SDK's paginator would go round a repeated token forever.
		if err := guard.Next(aws.ToString(page.NextToken)); err != nil {
			return nil, err
		}
		for _, pt := range page.Patches {
			state := ssmPatchState(pt.State)
			if state == "" || state == runbooks.PatchInstalled {
				continue
			}
			id := aws.ToString(pt.KBId)
			if id == "" {
				id = aws.ToString(pt.Title)
			}
			out = append(out, runbooks.PatchFinding{
				HostID: h.ID, HostName: h.Name, Env: h.Env, PatchID: id, Title: aws.ToString(pt.Title),
				Severity: ssmSeverity(aws.ToString(pt.Severity)), VendorSeverity: aws.ToString(pt.Severity),
				Classification: aws.ToString(pt.Classification), CVEs: splitCVEs(aws.ToString(pt.CVEIds)),
				State: state, Source: runbooks.SourceAWSSSM + " DescribeInstancePatches",
			})
		}
	}
	return out, nil
}

// ssmPatchState maps PatchComplianceData.State; "" for NOT_APPLICABLE and
// states this release does not know.
func ssmPatchState(s ssmtypes.PatchComplianceDataState) string {
	switch s {
	case ssmtypes.PatchComplianceDataStateMissing, ssmtypes.PatchComplianceDataStateAvailableSecurityUpdate:
		return runbooks.PatchMissing
	case ssmtypes.PatchComplianceDataStateFailed:
		return runbooks.PatchFailed
	case ssmtypes.PatchComplianceDataStateInstalledPendingReboot:
		return runbooks.PatchPendingReboot
	case ssmtypes.PatchComplianceDataStateInstalled, ssmtypes.PatchComplianceDataStateInstalledOther, ssmtypes.PatchComplianceDataStateInstalledRejected:
		return runbooks.PatchInstalled
	}
	return ""
}

// ssmSeverity normalises Patch Manager severities (Windows MSRC:
// Critical, Important, Moderate, Low; Amazon Linux and RHEL: Critical,
// Important, Medium, Low).
func ssmSeverity(s string) string {
	switch strings.ToLower(s) {
	case "critical":
		return runbooks.PatchCritical
	case "important", "high":
		return runbooks.PatchHigh
	case "moderate", "medium":
		return runbooks.PatchMedium
	case "low":
		return runbooks.PatchLow
	}
	return runbooks.PatchUnrated
}

// splitCVEs reads PatchComplianceData.CVEIds, one string of comma-separated
// IDs.
func splitCVEs(s string) []string {
	var out []string
	for _, c := range strings.Split(s, ",") {
		if c = strings.TrimSpace(c); c != "" {
			out = append(out, strings.ToUpper(c))
		}
	}
	return out
}
