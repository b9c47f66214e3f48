package aws

import (
	"context"
	"reflect"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	smithyendpoints "github.com/aws/smithy-go/endpoints"
)

// The inventory's clients resolve each set of endpoint parameters once:
// the answer is the SDK's rules' own (regional, FIPS, dual-stack, a
// configured endpoint; for SSM and EC2), the rules run once per distinct
// parameters, and a resolution that fails is not kept.
func TestInventoryEndpointsResolvedOnce(t *testing.T) {
	ctx := context.Background()
	yes, no := aws.Bool(true), aws.Bool(false)
	cases := []struct {
		region, endpoint string
		fips, dual       *bool
		wantErr          bool
	}{
		{region: "us-east-1", fips: no, dual: no},
		{region: "eu-central-1", fips: no, dual: no},
		{region: "us-east-1", fips: yes, dual: no},
		{region: "us-east-1", fips: no, dual: yes},
		{region: "us-gov-west-1", fips: yes, dual: no},
		{region: "us-east-1", endpoint: "https://vpce-1.ssm.us-east-1.vpce.amazonaws.com", fips: no, dual: no},
		{region: "us-east-1", endpoint: "https://vpce-1.ssm.us-east-1.vpce.amazonaws.com", fips: yes, dual: no, wantErr: true},
	}
	sdkSSM, sdkEC2 := ssm.NewDefaultEndpointResolverV2(), ec2.NewDefaultEndpointResolverV2()
	var ssmRuns, ec2Runs int
	o := ssm.Options{EndpointResolverV2: countedSSM{sdkSSM, &ssmRuns}}
	ssmEndpointsOnce(&o)
	e := ec2.Options{EndpointResolverV2: countedEC2{sdkEC2, &ec2Runs}}
	ec2EndpointsOnce(&e)
	for round := range 3 {
		for _, c := range cases {
			var ep *string
			if c.endpoint != "" {
				ep = aws.String(c.endpoint)
			}
			sp := ssm.EndpointParameters{Region: aws.String(c.region), Endpoint: ep, UseFIPS: c.fips, UseDualStack: c.dual}
			want, wantErr := sdkSSM.ResolveEndpoint(ctx, sp)
			got, err := o.EndpointResolverV2.ResolveEndpoint(ctx, sp)
			sameEndpoint(t, "ssm", c, got, err, want, wantErr)
			if (err != nil) != c.wantErr {
				t.Errorf("ssm %+v: err = %v", c, err)
			}
			ep2 := ec2.EndpointParameters{Region: aws.String(c.region), Endpoint: ep, UseFIPS: c.fips, UseDualStack: c.dual}
			want, wantErr = sdkEC2.ResolveEndpoint(ctx, ep2)
			got, err = e.EndpointResolverV2.ResolveEndpoint(ctx, ep2)
			sameEndpoint(t, "ec2", c, got, err, want, wantErr)
			if round == 0 && c.region == "us-east-1" && c.endpoint == "" && !*c.fips && !*c.dual && got.URI.String() != "https://ec2.us-east-1.amazonaws.com" {
				t.Errorf("ec2 regional endpoint %s", got.URI.String())
			}
		}
	}
	// Six parameter sets resolve once each; the failing one every time.
	if want := 6 + 3; ssmRuns != want || ec2Runs != want {
		t.Errorf("the rules ran %d (ssm) and %d (ec2) times, want %d", ssmRuns, ec2Runs, want)
	}
}

func sameEndpoint(t *testing.T, svc string, c any, got smithyendpoints.Endpoint, err error, want smithyendpoints.Endpoint, wantErr error) {
	t.Helper()
	if (err == nil) != (wantErr == nil) || got.URI.String() != want.URI.String() || !reflect.DeepEqual(got.Headers, want.Headers) ||
		!reflect.DeepEqual(got.Properties, want.Properties) {
		t.Errorf("%s %+v: got %s %v %v, SDK %s %v %v", svc, c, got.URI.String(), got.Properties, err, want.URI.String(), want.Properties, wantErr)
	}
}

type countedSSM struct {
	r ssm.EndpointResolverV2
	n *int
}

func (c countedSSM) ResolveEndpoint(ctx context.Context, p ssm.EndpointParameters) (smithyendpoints.Endpoint, error) {
	*c.n++
	return c.r.ResolveEndpoint(ctx, p)
}

type countedEC2 struct {
	r ec2.EndpointResolverV2
	n *int
}

func (c countedEC2) ResolveEndpoint(ctx context.Context, p ec2.EndpointParameters) (smithyendpoints.Endpoint, error) {
	*c.n++
	return c.r.ResolveEndpoint(ctx, p)
}
