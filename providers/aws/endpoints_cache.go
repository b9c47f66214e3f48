package aws

import (
	"context"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// resolvedOnce wraps a client's endpoint resolver (the SDK's rules) so each
// distinct set of endpoint parameters is resolved once per client: the SDK
// resolves the endpoint on every call, and the inventory's client makes
// hundreds of calls with the same region and endpoint. Errors are not kept,
// so a failed resolution is tried again on the next call. The endpoint is
// the rules' own answer; callers copy it (the SDK's middleware sets the
// request's URL from it and reads its headers and properties).
type resolvedOnce[P any] struct {
	resolve func(context.Context, P) (smithyendpoints.Endpoint, error)
	key     func(P) endpointKey

	mu   sync.Mutex
	seen map[endpointKey]smithyendpoints.Endpoint
}

// endpointKey is the value of the endpoint parameters EC2's and SSM's
// rules read; a flag is 0 unset, 1 false, 2 true.
type endpointKey struct {
	region, endpoint string
	fips, dualStack  uint8
}

func flag(b *bool) uint8 {
	switch {
	case b == nil:
		return 0
	case *b:
		return 2
	}
	return 1
}

func (r *resolvedOnce[P]) ResolveEndpoint(ctx context.Context, p P) (smithyendpoints.Endpoint, error) {
	k := r.key(p)
	r.mu.Lock()
	e, ok := r.seen[k]
	r.mu.Unlock()
	if ok {
		return e, nil
	}
	e, err := r.resolve(ctx, p)
	if err != nil {
		return e, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.seen == nil {
		r.seen = map[endpointKey]smithyendpoints.Endpoint{}
	}
	r.seen[k] = e
	return e, nil
}

// ssmEndpointsOnce and ec2EndpointsOnce are client options: the client's
// resolver (the SDK's default, set before options run), resolved once.
func ssmEndpointsOnce(o *ssm.Options) {
	o.EndpointResolverV2 = &resolvedOnce[ssm.EndpointParameters]{resolve: o.EndpointResolverV2.ResolveEndpoint,
		key: func(p ssm.EndpointParameters) endpointKey {
			return endpointKey{aws.ToString(p.Region), aws.ToString(p.Endpoint), flag(p.UseFIPS), flag(p.UseDualStack)}
		}}
}

func ec2EndpointsOnce(o *ec2.Options) {
	o.EndpointResolverV2 = &resolvedOnce[ec2.EndpointParameters]{resolve: o.EndpointResolverV2.ResolveEndpoint,
		key: func(p ec2.EndpointParameters) endpointKey {
			return endpointKey{aws.ToString(p.Region), aws.ToString(p.Endpoint), flag(p.UseFIPS), flag(p.UseDualStack)}
		}}
}
