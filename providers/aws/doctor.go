package aws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/patchgate/patchgate/doctor"
	"github.com/patchgate/patchgate/runbooks"
)

// Checks are the read-only probes `patchgate doctor` runs against AWS: per
// account the role (AssumeRole with the external ID), per account and
// region one SSM call, per tenant environment the baseline its instances
// will use, and the evidence bucket's encryption and Object Lock.
func (p *Provider) Checks() []doctor.Check {
	var checks []doctor.Check
	for _, acct := range p.checkedAccounts() {
		checks = append(checks, p.roleCheck(acct))
		for _, region := range p.accountRegions(acct) {
			checks = append(checks, p.ssmCheck(acct, region))
		}
	}
	for _, t := range p.cfg.Tenants {
		for _, env := range t.Environments {
			for _, tg := range env.Targets {
				if tg.Cloud != runbooks.AWS {
					continue
				}
				for _, region := range p.regions(tg) {
					checks = append(checks, p.baselineCheck(t.Name, env.Name, tg, region))
				}
			}
		}
	}
	if p.cfg.Archive.Bucket != "" {
		checks = append(checks, p.encryptionCheck(), p.objectLockCheck())
	}
	return checks
}

// checkedAccounts are the configured accounts and those only targets name.
func (p *Provider) checkedAccounts() []string {
	var ids []string
	for _, a := range p.cfg.Accounts {
		ids = append(ids, a.ID)
	}
	for _, t := range p.cfg.Tenants {
		for _, env := range t.Environments {
			for _, tg := range env.Targets {
				if tg.Cloud == runbooks.AWS && tg.Account != "" {
					ids = append(ids, tg.Account)
				}
			}
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// accountRegions are the regions targets use in acct, else its own.
func (p *Provider) accountRegions(acct string) []string {
	var rs []string
	for _, t := range p.cfg.Tenants {
		for _, env := range t.Environments {
			for _, tg := range env.Targets {
				if tg.Cloud == runbooks.AWS && tg.Account == acct {
					rs = append(rs, p.regions(tg)...)
				}
			}
		}
	}
	if len(rs) == 0 {
		rs = p.regions(runbooks.Target{Account: acct})
	}
	slices.Sort(rs)
	return slices.Compact(rs)
}

func (p *Provider) roleCheck(acct string) doctor.Check {
	a := p.account(acct)
	arn := p.roleARN(a)
	name := fmt.Sprintf("aws %s: assume role", acct)
	if arn == "" {
		name = fmt.Sprintf("aws %s: bot identity", acct)
	}
	return doctor.Check{Name: name, Run: func(ctx context.Context) (string, error) {
		var out *sts.GetCallerIdentityOutput
		err := p.call(ctx, acct, func() (err error) {
			out, err = p.stsClient(acct).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		})
		if err != nil {
			fix := "check the bot's own AWS credentials and endpoints.sts"
			if arn != "" {
				ext := "no external ID"
				if a.ExternalID != "" || p.cfg.ExternalID != "" {
					ext = "the configured external ID"
				}
				fix = fmt.Sprintf("the trust policy of %s must let the bot's identity assume it with %s (providers.aws external_id)", arn, ext)
			}
			return "", doctor.Fix(fmt.Errorf("sts GetCallerIdentity as %s: %w", orSelf(arn), short(err)), fix)
		}
		if got := aws.ToString(out.Account); arn != "" && got != acct {
			return "", doctor.Fixf("point role_name/role_arn at a role in "+acct, "assumed %s but landed in account %s", arn, got)
		}
		return "as " + aws.ToString(out.Arn), nil
	}}
}

func orSelf(arn string) string {
	if arn == "" {
		return "the bot's own identity"
	}
	return arn
}

func (p *Provider) ssmCheck(acct, region string) doctor.Check {
	return doctor.Check{Name: fmt.Sprintf("aws %s %s: ssm DescribeInstanceInformation", acct, region), Run: func(ctx context.Context) (string, error) {
		c := p.clientsFor(acct, region)
		var out *ssm.DescribeInstanceInformationOutput
		err := p.call(ctx, acct, func() (err error) {
			out, err = c.ssm.DescribeInstanceInformation(ctx, &ssm.DescribeInstanceInformationInput{MaxResults: aws.Int32(5)})
			return err
		})
		if err != nil {
			return "", doctor.Fix(fmt.Errorf("ssm DescribeInstanceInformation: %w", short(err)),
				"grant the role ssm:DescribeInstanceInformation (deploy/terraform policy-tenant.json) and check endpoints.ssm")
		}
		more := ""
		if out.NextToken != nil {
			more = " (more pages)"
		}
		return fmt.Sprintf("%s on the first page%s", count(len(out.InstanceInformationList), "managed instance"), more), nil
	}}
}

func (p *Provider) baselineCheck(tenant, env string, t runbooks.Target, region string) doctor.Check {
	name := fmt.Sprintf("aws baseline %s/%s (%s %s)", tenant, env, t.Account, region)
	return doctor.Check{Name: name, Run: func(ctx context.Context) (string, error) {
		c := p.clientsFor(t.Account, region)
		groups, err := p.patchGroups(ctx, c, ec2Filters(t.Selector), nil)
		if err != nil {
			return "", doctor.Fix(short(err), "grant the role ec2:DescribeInstances and check endpoints.ec2")
		}
		if len(groups) == 0 {
			// No instance yet: the default baseline is what a new one gets.
			groups = map[string][]string{"": nil}
		}
		found, err := p.checkBaseline(ctx, c, env, groups)
		if err != nil {
			return "", doctor.Fix(err, fmt.Sprintf("register the declared baseline for %s or correct providers.aws.patch.baselines.%s (or the instances' PatchGroup tags)", env, env))
		}
		return found, nil
	}}
}

func (p *Provider) encryptionCheck() doctor.Check {
	b := p.cfg.Archive.Bucket
	return doctor.Check{Name: fmt.Sprintf("aws evidence bucket %s: default encryption", b), Run: func(ctx context.Context) (string, error) {
		out, err := p.s3Client().GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: aws.String(b)})
		if apiCode(err) == "ServerSideEncryptionConfigurationNotFoundError" {
			return "", doctor.Fixf("enable default encryption (SSE-KMS with the evidence key, or SSE-S3) on the bucket (deploy/terraform evidence.tf)",
				"bucket %s has no default encryption", b)
		}
		if err != nil {
			return "", doctor.Fix(fmt.Errorf("s3 GetBucketEncryption %s: %w", b, short(err)), "grant the bot s3:GetEncryptionConfiguration on the bucket and check endpoints.s3")
		}
		var rules []string
		if out.ServerSideEncryptionConfiguration != nil {
			for _, r := range out.ServerSideEncryptionConfiguration.Rules {
				if d := r.ApplyServerSideEncryptionByDefault; d != nil {
					rule := string(d.SSEAlgorithm)
					if k := aws.ToString(d.KMSMasterKeyID); k != "" {
						rule += " key " + k
					}
					rules = append(rules, rule)
				}
			}
		}
		if len(rules) == 0 {
			return "", doctor.Fixf("enable default encryption on the bucket", "bucket %s has an encryption configuration without a default rule", b)
		}
		found := "default " + strings.Join(rules, ", ")
		if k := p.cfg.Archive.KMSKeyID; k != "" {
			found += "; reports are written with SSE-KMS key " + k
		} else {
			found += "; reports take the bucket's default"
		}
		return found, nil
	}}
}

func (p *Provider) objectLockCheck() doctor.Check {
	b := p.cfg.Archive.Bucket
	return doctor.Check{Name: fmt.Sprintf("aws evidence bucket %s: object lock", b), Run: func(ctx context.Context) (string, error) {
		out, err := p.s3Client().GetObjectLockConfiguration(ctx, &s3.GetObjectLockConfigurationInput{Bucket: aws.String(b)})
		if apiCode(err) == "ObjectLockConfigurationNotFoundError" {
			return "", doctor.Fixf("create the bucket with Object Lock enabled and a default retention (deploy/terraform evidence.tf); it cannot be added to an existing bucket without AWS support",
				"bucket %s has no Object Lock configuration", b)
		}
		if err != nil {
			return "", doctor.Fix(fmt.Errorf("s3 GetObjectLockConfiguration %s: %w", b, short(err)), "grant the bot s3:GetBucketObjectLockConfiguration and check endpoints.s3")
		}
		c := out.ObjectLockConfiguration
		if c == nil || c.ObjectLockEnabled != "Enabled" {
			return "", doctor.Fixf("enable Object Lock on the bucket", "bucket %s: Object Lock is not enabled", b)
		}
		if c.Rule == nil || c.Rule.DefaultRetention == nil {
			return "enabled, no default retention (each object must set its own)", nil
		}
		r := c.Rule.DefaultRetention
		period := fmt.Sprintf("%d days", aws.ToInt32(r.Days))
		if y := aws.ToInt32(r.Years); y > 0 {
			period = fmt.Sprintf("%d years", y)
		}
		return fmt.Sprintf("enabled, default retention %s %s", r.Mode, period), nil
	}}
}

// apiCode is the AWS error code of err, or "".
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// short keeps a row readable: the service's own code and message when the
// SDK has one (the SDK's chain of operation prefixes adds nothing a person
// acts on), else the error as it is.
func short(err error) error {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		var op *smithy.OperationError
		where := ""
		if errors.As(err, &op) {
			where = fmt.Sprintf(" (%s %s)", op.Service(), op.Operation())
		}
		return &shortError{msg: fmt.Sprintf("%s: %s%s", ae.ErrorCode(), ae.ErrorMessage(), where), err: err}
	}
	return err
}

type shortError struct {
	msg string
	err error
}

func (e *shortError) Error() string { return e.msg }
func (e *shortError) Unwrap() error { return e.err }
