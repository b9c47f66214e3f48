package aws

import (
	"context"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// leanInstances is a per-call option for the inventory's DescribeInstances:
// a successful page is read by decodeInstancesPage into an output holding
// only the instance ID, the platform, the Name tag and the next token (all
// pageHosts reads); an error answer still goes through the SDK's own
// deserializer, so its error codes, throttling and retries are unchanged.
func leanInstances(o *ec2.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		sdk, ok := stack.Deserialize.Get(operationDeserializer)
		if !ok {
			return fmt.Errorf("ec2 DescribeInstances: the SDK has no %s to replace", operationDeserializer)
		}
		_, err := stack.Deserialize.Swap(operationDeserializer, &leanInstancesDeserializer{sdk: sdk})
		return err
	})
}

// operationDeserializer is the ID the SDK gives each operation's deserializer.
const operationDeserializer = "OperationDeserializer"

type leanInstancesDeserializer struct {
	sdk middleware.DeserializeMiddleware
}

func (*leanInstancesDeserializer) ID() string { return operationDeserializer }

func (m *leanInstancesDeserializer) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok || resp.StatusCode < 200 || resp.StatusCode >= 300 {
		// Transport failures and error answers: the SDK's deserializer,
		// handed what the transport already returned.
		return m.sdk.HandleDeserialize(ctx, in, middleware.DeserializeHandlerFunc(
			func(context.Context, middleware.DeserializeInput) (middleware.DeserializeOutput, middleware.Metadata, error) {
				return out, md, err
			}))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		var page instancesPage
		if page, err = decodeInstancesPage(body); err == nil {
			out.Result = page.output()
			return out, md, nil
		}
	}
	return out, md, &smithy.DeserializationError{Err: fmt.Errorf("failed to decode response body, %w", err)}
}

// output is the page as the SDK's type, so the SDK's paginator and
// pageHosts read it as they read the SDK's own.
func (p instancesPage) output() *ec2.DescribeInstancesOutput {
	out := &ec2.DescribeInstancesOutput{Reservations: []ec2types.Reservation{{Instances: make([]ec2types.Instance, len(p.Instances))}}}
	if p.NextToken != "" {
		out.NextToken = aws.String(p.NextToken)
	}
	for i, in := range p.Instances {
		inst := &out.Reservations[0].Instances[i]
		inst.InstanceId = aws.String(in.ID)
		if in.PlatformDetails != "" {
			inst.PlatformDetails = aws.String(in.PlatformDetails)
		}
		if in.Name != "" {
			inst.Tags = []ec2types.Tag{{Key: aws.String("Name"), Value: aws.String(in.Name)}}
		}
	}
	return out
}
