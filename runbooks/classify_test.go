package runbooks

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

type fakeAPIError struct{ code, msg string }

func (e fakeAPIError) Error() string        { return e.code + ": " + e.msg }
func (e fakeAPIError) ErrorCode() string    { return e.code }
func (e fakeAPIError) ErrorMessage() string { return e.msg }

type statusErr int

func (s statusErr) Error() string       { return fmt.Sprintf("http %d", int(s)) }
func (s statusErr) HTTPStatusCode() int { return int(s) }

func TestCallErrorClassifiesWhatAnOperatorActsOn(t *testing.T) {
	for _, tc := range []struct {
		name   string
		err    error
		status int
		kind   CauseKind
		want   string
	}{
		{"black hole", fmt.Errorf("post: %w", context.DeadlineExceeded), 0, CauseNoAnswer, "connection accepted but no answer within 30s"},
		{"html body", errors.Join(statusErr(500), errors.New("deserialization failed, invalid character '<' looking for beginning of value")), 0,
			CauseNonJSON, "HTTP 500 with a non-JSON body: is providers.aws.endpoints.ssm a proxy?"},
		{"denied with action", fakeAPIError{"AccessDeniedException", "User: arn:aws:sts::123456789012:assumed-role/patchgate-executor/patchgate is not authorized to perform: ssm:DescribeInstancePatchStates on resource: *"}, 400,
			CauseDenied, "AccessDeniedException: role patchgate-executor lacks ssm:DescribeInstancePatchStates"},
		{"azure denied", WithAPICode(errors.New("raw"), "AuthorizationFailed", "The client 'x' with object id 'y' does not have authorization to perform action 'Microsoft.Compute/virtualMachines/read' over scope"), 403,
			CauseDenied, "AuthorizationFailed: the bot's identity lacks Microsoft.Compute/virtualMachines/read"},
		{"throttled", fakeAPIError{"ThrottlingException", "Rate exceeded"}, 400, CauseThrottled, "throttled by the service (ThrottlingException)"},
		{"429", errors.New("too many"), 429, CauseThrottled, "throttled by the service (HTTP 429)"},
		{"dns", &net.OpError{Op: "dial", Err: &net.DNSError{Name: "ssm.invalid", Err: "no such host"}}, 0, CauseDNS, "DNS lookup of ssm.invalid failed"},
		{"refused", &net.OpError{Op: "dial", Addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 9}, Err: syscall.ECONNREFUSED}, 0, CauseRefused, "connection refused to 127.0.0.1:9"},
		{"plain 503", errors.New(`{"message":"down"}`), 503, CauseHTTP, "HTTP 503"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Classify(tc.err, tc.status, 30*time.Second, "providers.aws.endpoints.ssm")
			if c.Kind != tc.kind || !strings.HasPrefix(c.Text, tc.want) {
				t.Errorf("Classify = %s %q, want %s %q…", c.Kind, c.Text, tc.kind, tc.want)
			}
		})
	}
}

func TestCallErrorReadsAsOneSentence(t *testing.T) {
	raw := errors.New("deserialization failed, failed to decode response body, invalid character '<' looking for beginning of value")
	ce := &CallError{System: "aws", Service: "ssm", Operation: "DescribeInstanceInformation", Scope: "account 123456789012",
		Region: "eu-west-1", Attempts: 3, Status: 500, Endpoint: "providers.aws.endpoints.ssm", Err: raw}
	want := "aws ssm DescribeInstanceInformation (account 123456789012, eu-west-1) failed after 3 attempts: HTTP 500 with a non-JSON body: is providers.aws.endpoints.ssm a proxy?"
	if got := ce.Error(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	wrapped := fmt.Errorf("inventory of t/nonprod: %w", ce)
	if got, ok := AsCallError(wrapped); !ok || got.Raw() != raw.Error() || !errors.Is(wrapped, raw) {
		t.Errorf("the raw error is not kept: %v %v", got, ok)
	}
}
