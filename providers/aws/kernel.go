package aws

import (
	"context"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/patchgate/patchgate/runbooks"
)

// pendingKernels fills Host.PendingKernel, the kernel the missing patches
// would install, which the EDR sensor gate checks before patching. Only
// managed hosts with missing patches are asked (DescribeInstancePatches has
// no batch form: one call per such host).
func (p *Provider) pendingKernels(ctx context.Context, c *regional, hosts []runbooks.Host) error {
	for i := range hosts {
		h := &hosts[i]
		if !h.Managed || h.PendingPatches == 0 {
			continue
		}
		pages := ssm.NewDescribeInstancePatchesPaginator(c.ssm, &ssm.DescribeInstancePatchesInput{
			InstanceId: aws.String(h.ID),
			Filters:    []ssmtypes.PatchOrchestratorFilter{{Key: aws.String("State"), Values: []string{"Missing"}}},
		})
		guard := runbooks.PageGuard{Loop: fmt.Sprintf("ssm DescribeInstancePatches (kernel) of %s in %s/%s", h.ID, c.account, c.region), Max: p.maxPages}
		for pages.HasMorePages() {
			var page *ssm.DescribeInstancePatchesOutput
			err := p.call(ctx, c.account, func() (err error) { page, err = pages.NextPage(ctx); return err })
			if err != nil {
				return fmt.Errorf("ssm DescribeInstancePatches %s: %w", h.ID, err)
			}
			if err := guard.Next(aws.ToString(page.NextToken)); err != nil {
				return err
			}
			for _, pt := range page.Patches {
				if k := kernelRelease(aws.ToString(pt.Title)); k != "" {
					h.PendingKernel = k
				}
			}
		}
	}
	return nil
}

// kernelRelease turns a missing kernel patch into the release `uname -r`
// will show once it is installed, "" for other packages:
//
//	kernel.x86_64:0:6.1.115-126.197.amzn2023        → 6.1.115-126.197.amzn2023.x86_64
//	kernel-core.x86_64:0:5.14.0-427.13.1.el9_4      → 5.14.0-427.13.1.el9_4.x86_64
//	linux-image-5.15.0-105-generic (Debian, Ubuntu) → 5.15.0-105-generic
func kernelRelease(title string) string {
	if v, ok := strings.CutPrefix(title, "linux-image-"); ok && v != "" && v[0] >= '0' && v[0] <= '9' {
		v, _, _ = strings.Cut(v, ":")
		return v
	}
	name, rest, ok := strings.Cut(title, ":")
	if !ok {
		return ""
	}
	pkg, arch, _ := strings.Cut(name, ".")
	if pkg != "kernel" && pkg != "kernel-core" {
		return ""
	}
	version := rest[strings.LastIndex(rest, ":")+1:]
	if version == "" {
		return ""
	}
	if arch != "" {
		version += "." + arch
	}
	return version
}
