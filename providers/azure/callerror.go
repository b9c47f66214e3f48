package azure

import (
	"errors"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"

	"github.com/patchgate/patchgate/runbooks"
)

// budgeted sets the ARM clients' retries from the step budget (attempts,
// each try's timeout, the longest wait) and sends their requests through a
// transport that describes a silent or non-ARM answer as a CallError.
func budgeted(co *policy.ClientOptions, b runbooks.Budget, endpointKey string) {
	co.Retry = policy.RetryOptions{MaxRetries: int32(b.Attempts - 1), TryTimeout: b.PerAttempt,
		RetryDelay: max(b.MaxBackoff/4, 1), MaxRetryDelay: b.MaxBackoff}
	co.PerCallPolicies = append(co.PerCallPolicies, countTries{})
	co.Transport = &http.Client{Transport: runbooks.DescribeTransport(http.DefaultTransport.(*http.Transport).Clone(),
		b.PerAttempt, endpointKey, describeARM)}
}

// countTries gives each call one attempt counter that the retry policy's
// tries share, so a failure says how many attempts it made.
type countTries struct{}

func (countTries) Do(req *policy.Request) (*http.Response, error) {
	return req.WithContext(runbooks.CountTries(req.Raw().Context())).Next()
}

// describeARM names an ARM request: the resource provider as the service,
// the method and resource types (virtualMachines/assessPatches) as the
// operation, the subscription as the scope.
func describeARM(req *http.Request) runbooks.CallError {
	ce := runbooks.CallError{System: "azure", Service: "arm"}
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	var types []string
	for i := 0; i < len(parts); i++ {
		switch {
		case strings.EqualFold(parts[i], "subscriptions") && i+1 < len(parts):
			ce.Scope = "subscription " + parts[i+1]
			i++
		case strings.EqualFold(parts[i], "providers") && i+1 < len(parts):
			ce.Service = strings.ToLower(strings.TrimPrefix(parts[i+1], "Microsoft."))
			// After the namespace, types and names alternate; an action
			// (assessPatches) ends the path on a type position.
			for j := i + 2; j < len(parts); j += 2 {
				types = append(types, parts[j])
			}
			i = len(parts)
		}
	}
	ce.Operation = req.Method + " " + strings.Join(types, "/")
	return ce
}

// armCallError describes an ARM error answer the SDK gave up on (a 429
// storm longer than the budget's attempts, a 4xx) as a CallError naming the
// call, as the transport does for silent and non-ARM answers; other errors
// pass unchanged.
func armCallError(err error) error {
	var re *azcore.ResponseError
	if !errors.As(err, &re) || re.RawResponse == nil || re.RawResponse.Request == nil {
		return err
	}
	if _, ok := runbooks.AsCallError(err); ok {
		return err
	}
	req := re.RawResponse.Request
	ce := describeARM(req)
	ce.Status, ce.Attempts = re.StatusCode, runbooks.Attempts(req.Context())
	ce.Err = runbooks.WithAPICode(err, re.ErrorCode, "")
	return &ce
}
