package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/patchgate/patchgate/runbooks"
)

// describeErrors is an SDK stack option that turns every failed call of
// account in region into a runbooks.CallError naming the service, the
// operation, where it ran and how many attempts the retryer made. It sits
// at the start of the stack, so it sees the error after the last retry.
func (p *Provider) describeErrors(account, region string) func(*middleware.Stack) error {
	return func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("patchgateCallError",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				if err == nil {
					return out, md, nil
				}
				if _, ok := runbooks.AsCallError(err); ok {
					return out, md, err
				}
				return out, md, p.callError(middleware.GetServiceID(ctx), middleware.GetOperationName(ctx), account, region, md, err)
			}), middleware.Before)
	}
}

func (p *Provider) callError(serviceID, op, account, region string, md middleware.Metadata, err error) *runbooks.CallError {
	svc := strings.ReplaceAll(strings.ToLower(serviceID), " ", "-")
	ce := &runbooks.CallError{System: "aws", Service: svc, Operation: op, Region: region,
		Timeout: p.budget.PerAttempt, Err: err}
	if account != "" {
		ce.Scope = "account " + account
	}
	if r, ok := retry.GetAttemptResults(md); ok {
		ce.Attempts = len(r.Results)
	}
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		ce.Status = re.HTTPStatusCode()
	}
	if _, ok := p.cfg.Endpoints[svc]; ok {
		ce.Endpoint = "providers.aws.endpoints." + svc
	} else if p.cfg.EndpointURL != "" {
		ce.Endpoint = "providers.aws.endpoint_url"
	}
	// A proxy's error page: the SDK only says its body did not parse.
	if raw, ok := awsmiddleware.GetRawResponse(md).(*smithyhttp.Response); ok && raw != nil &&
		strings.Contains(strings.ToLower(raw.Header.Get("Content-Type")), "html") {
		ce.Status = raw.StatusCode
		ce.Cause = runbooks.Classify(fmt.Errorf("text/html: %w", err), raw.StatusCode, ce.Timeout, ce.Endpoint).Text
	}
	return ce
}
