package events

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// The EventBridge envelope of a Config compliance change.
const (
	DetailType  = "Config Rules Compliance Change"
	EventSource = "aws.config"
)

// wireEvent is the documented shape (see testdata/SOURCE.md); only the
// fields the intake reads are declared.
type wireEvent struct {
	ID         string    `json:"id"`
	DetailType string    `json:"detail-type"`
	Source     string    `json:"source"`
	Account    string    `json:"account"`
	Time       string    `json:"time"`
	Region     string    `json:"region"`
	Detail     *wireBody `json:"detail"`
}

type wireBody struct {
	ResourceID     string `json:"resourceId"`
	AwsRegion      string `json:"awsRegion"`
	AwsAccountID   string `json:"awsAccountId"`
	ConfigRuleName string `json:"configRuleName"`
	NewResult      *struct {
		ComplianceType string `json:"complianceType"`
	} `json:"newEvaluationResult"`
}

var (
	accountRE       = regexp.MustCompile(`^[0-9]{12}$`)
	instanceRE      = regexp.MustCompile(`^m?i-[0-9a-f]{8,17}$`)
	complianceTypes = map[string]bool{
		"COMPLIANT": true, "NON_COMPLIANT": true, "NOT_APPLICABLE": true, "INSUFFICIENT_DATA": true,
	}
)

// Parse reads one EventBridge compliance change event. source names where
// it came from ("sqs:<queue>" or "http"). A body that is not that event, or
// lacks a field the remediation needs, is refused with a CodeInvalid error
// naming the field; the error quotes no field value beyond the event id
// and the envelope's kind, since a forwarded body could hold anything.
func Parse(body []byte, source string) (runbooks.ComplianceEvent, error) {
	var w wireEvent
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&w); err != nil {
		return runbooks.ComplianceEvent{}, invalid("not a JSON event (%s)", jsonProblem(err))
	}
	if dec.More() {
		return runbooks.ComplianceEvent{}, invalid("trailing data after the JSON event")
	}
	if w.DetailType != DetailType || w.Source != EventSource {
		return runbooks.ComplianceEvent{}, invalid("detail-type %q from %q is not a %q event from %s",
			clip(w.DetailType), clip(w.Source), DetailType, EventSource)
	}
	if w.ID == "" {
		return runbooks.ComplianceEvent{}, invalid("event without an id")
	}
	d := w.Detail
	if d == nil {
		return runbooks.ComplianceEvent{}, invalid("event %s has no detail", clip(w.ID))
	}
	ev := runbooks.ComplianceEvent{
		ID: w.ID, Account: first(d.AwsAccountID, w.Account), Region: first(d.AwsRegion, w.Region),
		Rule: d.ConfigRuleName, Source: source,
	}
	if !accountRE.MatchString(ev.Account) {
		return ev, invalid("event %s: detail.awsAccountId is not a 12-digit account", clip(w.ID))
	}
	if ev.Region == "" {
		return ev, invalid("event %s: no detail.awsRegion", clip(w.ID))
	}
	if ev.Rule == "" {
		return ev, invalid("event %s: no detail.configRuleName", clip(w.ID))
	}
	ev.InstanceID = InstanceOf(d.ResourceID)
	if ev.InstanceID == "" {
		return ev, invalid("event %s: detail.resourceId is not an EC2 or managed instance id", clip(w.ID))
	}
	if d.NewResult == nil || !complianceTypes[d.NewResult.ComplianceType] {
		return ev, invalid("event %s: detail.newEvaluationResult.complianceType missing or not a Config compliance type", clip(w.ID))
	}
	ev.Compliance = d.NewResult.ComplianceType
	at, err := time.Parse(time.RFC3339, w.Time)
	if err != nil {
		return ev, invalid("event %s: time is not RFC 3339", clip(w.ID))
	}
	ev.At = at.UTC()
	return ev, nil
}

// InstanceOf takes the instance id from a Config resource id: the rule's
// AWS::SSM::PatchCompliance resource is named by its instance, bare or
// after a type prefix ("…/i-0abc…"); "" when it names no instance.
func InstanceOf(resourceID string) string {
	id := resourceID[strings.LastIndex(resourceID, "/")+1:]
	if instanceRE.MatchString(id) {
		return id
	}
	return ""
}

func invalid(format string, args ...any) error {
	return runbooks.Errorf(runbooks.CodeInvalid, format, args...)
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// clip bounds a value quoted in an error, so a hostile body cannot fill
// the logs.
func clip(s string) string {
	const max = 64
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// jsonProblem says what is wrong with the JSON without quoting it.
func jsonProblem(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return "syntax error at byte " + strconv.FormatInt(se.Offset, 10)
	}
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		return "field " + te.Field + " has the wrong type"
	}
	if err.Error() == "unexpected EOF" || err.Error() == "EOF" {
		return "truncated"
	}
	return "unreadable"
}
