package events_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/aws/events"
	"github.com/patchgate/patchgate/runbooks"
)

// The documented event parses into the fields the remediation needs.
func TestConfigEventParsesTheDocumentedEvent(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "config-compliance-change.json"))
	if err != nil {
		t.Fatal(err)
	}
	ev, err := events.Parse(b, "sqs:patchgate-intake")
	if err != nil {
		t.Fatal(err)
	}
	want := runbooks.ComplianceEvent{ID: "5c1e8f0a-6d2b-4f3e-9a57-2c1d0b7e4f11", Account: "111122223333", Region: "us-east-1",
		InstanceID: "i-0a1b2c3d4e5f60718", Rule: "ec2-managedinstance-patch-compliance-status-check", Compliance: "NON_COMPLIANT",
		At: time.Date(2026, 12, 3, 9, 14, 5, 0, time.UTC), Source: "sqs:patchgate-intake"}
	if ev != want {
		t.Errorf("parsed\n%+v\nwant\n%+v", ev, want)
	}
}

// Malformed events are refused as invalid, naming what is wrong and never
// quoting a secret the body carries.
func TestConfigEventMalformedIsRefusedWithAClearError(t *testing.T) {
	good := fixture(t, "evt-1", "111122223333", "i-0a1b2c3d4e5f60718", "NON_COMPLIANT")
	const secret = "AKIA-SECRET-VALUE"
	cases := []struct{ name, body, want string }{
		{"not JSON", "password=" + secret, "not a JSON event"},
		{"truncated", string(good[:len(good)/2]), "truncated"},
		{"another detail-type", strings.Replace(string(good), "Config Rules Compliance Change", "AWS API Call via CloudTrail", 1), "is not a"},
		{"no id", strings.Replace(string(good), `"id":"evt-1"`, `"id":""`, 1), "without an id"},
		{"bad account", strings.ReplaceAll(string(good), "111122223333", "12"), "12-digit"},
		{"no rule", strings.Replace(string(good), `"configRuleName":"ec2-managedinstance-patch-compliance-status-check"`, `"configRuleName":""`, 1), "configRuleName"},
		{"not an instance", strings.ReplaceAll(string(good), `"resourceId":"i-0a1b2c3d4e5f60718"`, `"resourceId":"`+secret+`"`), "not an EC2"},
		{"unknown compliance", strings.Replace(string(good), `"complianceType":"NON_COMPLIANT"`, `"complianceType":"MAYBE"`, 1), "complianceType"},
		{"bad time", strings.Replace(string(good), `"time":"2026-12-03T09:14:05Z"`, `"time":"yesterday"`, 1), "RFC 3339"},
		{"two events", string(good) + string(good), "trailing"},
	}
	for _, c := range cases {
		_, err := events.Parse([]byte(c.body), "http")
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if runbooks.ErrorCode(err) != runbooks.CodeInvalid || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q (code %s), want invalid mentioning %q", c.name, err, runbooks.ErrorCode(err), c.want)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("%s: error quotes the secret: %v", c.name, err)
		}
	}
}
