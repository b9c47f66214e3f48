package aws

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/configservice"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// regional holds the clients of one account and region.
type regional struct {
	account, region string
	ec2             *ec2.Client
	ssm             *ssm.Client
	rds             *rds.Client
	config          *configservice.Client // AWS Config, for remediations
}

// endpoint applies a configured endpoint URL to a client of service; every
// client of aws-sdk-go-v2 has BaseEndpoint in its Options, so one generic
// option fits all.
func (p *Provider) endpoint(service string) func(*sts.Options) {
	return func(o *sts.Options) { o.BaseEndpoint = p.url(service) }
}

// url is the endpoint of service: its own override, else the one
// EndpointURL for every service, else nil (the SDK's regional endpoint).
func (p *Provider) url(service string) *string {
	if u, ok := p.cfg.Endpoints[service]; ok && u != "" {
		return aws.String(u)
	}
	if p.cfg.EndpointURL != "" {
		return aws.String(p.cfg.EndpointURL)
	}
	return nil
}

// clientsFor returns the cached clients of account id in region.
func (p *Provider) clientsFor(id, region string) *regional {
	key := id + "/" + region
	p.mu.Lock()
	r, ok := p.clients[key]
	p.mu.Unlock()
	if ok {
		return r
	}
	c := p.configFor(id, region)
	r = &regional{account: id, region: region,
		ec2:    ec2.NewFromConfig(c, func(o *ec2.Options) { o.BaseEndpoint = p.url("ec2") }, ec2EndpointsOnce),
		ssm:    ssm.NewFromConfig(c, func(o *ssm.Options) { o.BaseEndpoint = p.url("ssm") }, ssmEndpointsOnce),
		rds:    rds.NewFromConfig(c, func(o *rds.Options) { o.BaseEndpoint = p.url("rds") }),
		config: configservice.NewFromConfig(c, func(o *configservice.Options) { o.BaseEndpoint = p.url(configEndpoint) }),
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.clients[key]; ok {
		return old
	}
	p.clients[key] = r
	return r
}

// iamClient, stsClient, s3Client and the Identity Center clients are made
// per call: they are cheap and used rarely.
func (p *Provider) iamClient(id string) *iam.Client {
	return iam.NewFromConfig(p.configFor(id, p.cfg.Region), func(o *iam.Options) { o.BaseEndpoint = p.url("iam") })
}

func (p *Provider) stsClient(id string) *sts.Client {
	return sts.NewFromConfig(p.configFor(id, p.cfg.Region), p.endpoint("sts"))
}

func (p *Provider) s3Client() *s3.Client { return p.s3At(p.url("s3")) }

// presignS3Client signs the links people open: a private (VPC) S3 endpoint
// the bot writes through is unreachable from a laptop, so links may name a
// public endpoint of their own.
func (p *Provider) presignS3Client() *s3.Client {
	if u := p.cfg.Archive.PresignEndpoint; u != "" {
		return p.s3At(aws.String(u))
	}
	return p.s3Client()
}

func (p *Provider) s3At(u *string) *s3.Client {
	c := p.base.Copy()
	c.Region = p.cfg.Archive.Region
	return s3.NewFromConfig(c, func(o *s3.Options) {
		if u != nil {
			o.BaseEndpoint = u
			o.UsePathStyle = true
		}
	})
}

func (p *Provider) ssoAdmin() *ssoadmin.Client {
	c := p.base.Copy()
	c.Region = p.cfg.IdentityCenter.Region
	return ssoadmin.NewFromConfig(c, func(o *ssoadmin.Options) { o.BaseEndpoint = p.url("sso-admin") })
}

func (p *Provider) identityStore() *identitystore.Client {
	c := p.base.Copy()
	c.Region = p.cfg.IdentityCenter.Region
	return identitystore.NewFromConfig(c, func(o *identitystore.Options) { o.BaseEndpoint = p.url("identitystore") })
}
