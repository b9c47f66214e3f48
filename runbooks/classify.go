package runbooks

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// CauseKind sorts failed calls by what an operator does about them.
type CauseKind string

const (
	CauseNoAnswer     CauseKind = "no_answer"     // connected, but no answer in time
	CauseNoConnection CauseKind = "no_connection" // could not connect in time
	CauseDNS          CauseKind = "dns"           // the endpoint's name does not resolve
	CauseRefused      CauseKind = "refused"       // nothing listens at the endpoint
	CauseTLS          CauseKind = "tls"           // certificate or handshake failure
	CauseNonJSON      CauseKind = "non_json"      // an answer that is not the API's (a proxy page)
	CauseDenied       CauseKind = "denied"        // 401/403: credentials or permissions
	CauseThrottled    CauseKind = "throttled"     // 429 or the service's throttling code
	CauseHTTP         CauseKind = "http"          // any other HTTP error status
	CauseCanceled     CauseKind = "canceled"      // the caller gave up (shutdown)
	CauseOther        CauseKind = "other"
)

// Cause is a failed call's plain cause.
type Cause struct {
	Kind CauseKind
	Text string
}

// Classify says in plain words why a call failed. status is the HTTP status
// the peer answered with (0 when it did not answer), timeout the budget of
// one attempt (named in a no-answer cause), endpoint the configuration key
// of the endpoint used (named when the answer looks like a proxy's). An
// error in err's chain with ErrorCode() and ErrorMessage() methods (the AWS
// SDK's smithy.APIError, or WithAPICode) lends its service error code.
func Classify(err error, status int, timeout time.Duration, endpoint string) Cause {
	if err == nil && status == 0 {
		return Cause{CauseOther, "unknown error"}
	}
	code, msg := apiCode(err)
	text := ""
	if err != nil {
		text = err.Error()
	}
	lower := strings.ToLower(text)
	if status == 0 {
		if s, ok := statusOf(err); ok {
			status = s
		}
	}
	switch {
	case status == 401 || status == 403 || deniedCode(code):
		return Cause{CauseDenied, denied(status, code, msg)}
	case status == 429 || throttledCode(code):
		return Cause{CauseThrottled, fmt.Sprintf("throttled by the service (%s): lower the concurrency or raise the quota", orDefault(code, fmt.Sprintf("HTTP %d", status)))}
	case nonJSON(lower):
		where := ""
		if endpoint != "" {
			where = ": is " + endpoint + " a proxy?"
		}
		if status > 0 {
			return Cause{CauseNonJSON, fmt.Sprintf("HTTP %d with a non-JSON body%s", status, where)}
		}
		return Cause{CauseNonJSON, "an answer that is not JSON" + where}
	case status >= 400:
		s := fmt.Sprintf("HTTP %d", status)
		if code != "" {
			s += " " + code
		}
		if msg != "" {
			s += ": " + clipLine(msg, 200)
		}
		return Cause{CauseHTTP, s}
	}
	var dns *net.DNSError
	var op *net.OpError
	switch {
	case errors.As(err, &dns):
		return Cause{CauseDNS, fmt.Sprintf("DNS lookup of %s failed: is the endpoint's name right and resolvable from here?", dns.Name)}
	case errors.Is(err, syscall.ECONNREFUSED):
		return Cause{CauseRefused, "connection refused" + addrOf(err) + ": nothing listens there"}
	case errors.As(err, &op) && op.Op == "dial" && isTimeout(err):
		return Cause{CauseNoConnection, "no connection" + addrOf(err) + within(timeout)}
	case isTLS(err, lower):
		return Cause{CauseTLS, "TLS handshake failed: " + clipLine(text, 200)}
	case errors.Is(err, context.Canceled):
		return Cause{CauseCanceled, "the call was cancelled (the bot is shutting down)"}
	case isTimeout(err) || timeoutText(lower):
		return Cause{CauseNoAnswer, "connection accepted but no answer" + within(timeout)}
	}
	return Cause{CauseOther, clipLine(text, 300)}
}

// WithAPICode attaches a service's error code and message to err, for
// Classify, when the SDK's error type has them as fields, not methods.
func WithAPICode(err error, code, message string) error {
	return &apiCoded{code: code, msg: message, err: err}
}

type apiCoded struct {
	code, msg string
	err       error
}

func (e *apiCoded) Error() string        { return e.err.Error() }
func (e *apiCoded) Unwrap() error        { return e.err }
func (e *apiCoded) ErrorCode() string    { return e.code }
func (e *apiCoded) ErrorMessage() string { return e.msg }

func apiCode(err error) (code, msg string) {
	var c interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if errors.As(err, &c) {
		return c.ErrorCode(), c.ErrorMessage()
	}
	return "", ""
}

func statusOf(err error) (int, bool) {
	var s interface{ HTTPStatusCode() int }
	if errors.As(err, &s) && s.HTTPStatusCode() > 0 {
		return s.HTTPStatusCode(), true
	}
	return 0, false
}

func deniedCode(code string) bool {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthorizationFailed",
		"AuthFailure", "UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken",
		"ExpiredTokenException", "AuthenticationFailed", "PERMISSION_DENIED", "UNAUTHENTICATED":
		return true
	}
	return false
}

func throttledCode(code string) bool {
	c := strings.ToLower(code)
	return strings.Contains(c, "throttl") || c == "toomanyrequests" || c == "toomanyrequestsexception" ||
		c == "requestlimitexceeded" || c == "ratelimitexceeded" || c == "resource_exhausted"
}

var (
	// AWS: "User: arn:aws:sts::123:assumed-role/patchgate-executor/patchgate
	// is not authorized to perform: ssm:DescribeInstancePatchStates on …"
	deniedAction = regexp.MustCompile(`not authorized to perform:? ([A-Za-z0-9-]+:[A-Za-z0-9*]+)`)
	deniedRole   = regexp.MustCompile(`assumed-role/([^/\s]+)/`)
	deniedUser   = regexp.MustCompile(`:(user|role)/([^\s]+)`)
	// Azure: "does not have authorization to perform action
	// 'Microsoft.Compute/virtualMachines/read'"
	deniedAzure = regexp.MustCompile(`authorization to perform action '([^']+)'`)
	// GCP: "Permission 'osconfig.inventories.list' denied" or
	// "requires permission osconfig…"
	deniedGCP = regexp.MustCompile(`[Pp]ermission '?([a-z]+\.[A-Za-z.]+)'?`)
)

func denied(status int, code, msg string) string {
	head := code
	if head == "" {
		head = fmt.Sprintf("HTTP %d", status)
	}
	who := "the bot's identity"
	if m := deniedRole.FindStringSubmatch(msg); m != nil {
		who = "role " + m[1]
	} else if m := deniedUser.FindStringSubmatch(msg); m != nil {
		who = m[1] + " " + m[2]
	}
	for _, re := range []*regexp.Regexp{deniedAction, deniedAzure, deniedGCP} {
		if m := re.FindStringSubmatch(msg); m != nil {
			return fmt.Sprintf("%s: %s lacks %s", head, who, m[1])
		}
	}
	if status == 401 || strings.Contains(strings.ToLower(code), "token") || strings.Contains(code, "Authentication") || code == "UNAUTHENTICATED" {
		return head + ": the credentials were refused (expired, wrong or for another tenant/account)"
	}
	if msg != "" {
		return head + ": " + clipLine(msg, 200)
	}
	return head + ": permission denied"
}

// nonJSON recognises the SDKs' complaints about an HTML or other non-JSON
// body, which is what a proxy, a captive portal or a wrong endpoint answers.
func nonJSON(lower string) bool {
	for _, s := range []string{"invalid character '<'", "<html", "<!doctype", "text/html", "non-json",
		"not json", "looking for beginning of value", "failed to decode response body"} {
		if strings.Contains(lower, s) {
			return true
		}
	}
	return false
}

func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// timeoutText recognises a timeout in the text of an SDK that flattens the
// error chain into a string (go-pagerduty).
func timeoutText(lower string) bool {
	for _, s := range []string{"context deadline exceeded", "client.timeout exceeded", "i/o timeout", "timeout awaiting response headers"} {
		if strings.Contains(lower, s) {
			return true
		}
	}
	return false
}

func isTLS(err error, lower string) bool {
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	var ci x509.CertificateInvalidError
	return errors.As(err, &ua) || errors.As(err, &hn) || errors.As(err, &ci) || strings.Contains(lower, "tls: ")
}

func addrOf(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		return " to " + op.Addr.String()
	}
	return ""
}

func within(d time.Duration) string {
	if d <= 0 {
		return " within the step budget"
	}
	return " within " + ForPeople(d)
}

// clipLine keeps the first line of s, at most n bytes.
func clipLine(s string, n int) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
