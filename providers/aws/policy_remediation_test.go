package aws

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The tenant role's Config grants (remediation.tf, policy-remediation-tenant.json):
// the actions the code calls, on exactly the ARNs of the created rule and of
// remediation_extra_rules, and nowhere else.

// remediationRuleARNs is what remediation.tf must hand the policy as its
// Resource, and the pattern its rule names from.
const (
	remediationARNsExpr  = `local.intake_tenant ? concat([aws_config_config_rule.patch_compliance[0].arn], values(var.remediation_extra_rules)) : []`
	remediationNamesExpr = `distinct(concat(["ec2-managedinstance-patch-compliance-status-check"], keys(var.remediation_extra_rules)))`
	remediationResource  = `merge(st, { Resource = local.remediation_rule_arns })`
)

type policyDoc struct {
	Statement []struct {
		Effect   string
		Action   []string
		Resource any `json:",omitempty"`
	}
}

// remediationGrantProblems checks the tenant remediation policy (its JSON
// and the .tf that sets its Resource) against the Config calls the code
// makes, then evaluates it for rules: every call is allowed on every
// listed rule's ARN and on no other.
func remediationGrantProblems(doc policyDoc, tf string, called []string, rules map[string]string, other string) []string {
	var out []string
	tf = strings.Join(strings.Fields(tf), " ")
	for name, expr := range map[string]string{"remediation_rule_arns": remediationARNsExpr, "remediation_rules": remediationNamesExpr} {
		if !strings.Contains(tf, name+" = "+expr) {
			out = append(out, "remediation.tf does not set local."+name+" to "+expr)
		}
	}
	if !strings.Contains(tf, remediationResource) || !strings.Contains(tf, "configRuleName = local.remediation_rules") {
		out = append(out, "remediation.tf does not grant on local.remediation_rule_arns or match local.remediation_rules")
	}
	// The ARNs as remediation.tf builds them for rules (name => ARN; the
	// created rule under its own name).
	var arns []string
	for _, arn := range rules {
		arns = append(arns, arn)
	}
	allowed := func(action, arn string) bool {
		for _, st := range doc.Statement {
			if st.Resource != nil {
				return true // a Resource in the JSON is not the listed rules: counted as allowing anything
			}
			if st.Effect == "Allow" && slices.Contains(st.Action, action) && slices.Contains(arns, arn) {
				return true
			}
		}
		return false
	}
	for _, a := range called {
		for name, arn := range rules {
			if !allowed(a, arn) {
				out = append(out, "the code calls "+a+" but the policy does not allow it on rule "+name)
			}
		}
		if allowed(a, other) {
			out = append(out, a+" is allowed on a rule not listed ("+other+")")
		}
	}
	for _, st := range doc.Statement {
		for _, a := range st.Action {
			if !slices.Contains(called, a) {
				out = append(out, "the policy grants "+a+", which the code never calls")
			}
		}
	}
	return out
}

// TestPolicyRemediationGrantsListedRules: the Config calls are granted on
// the created rule and every rule of remediation_extra_rules, not on a
// rule left out, and only in the remediation policy; a call without its
// grant, or a grant that is not tied to the listed rules, is found.
func TestPolicyRemediationGrantsListedRules(t *testing.T) {
	var called []string
	for a := range sdkActions(t, ".", "github.com/patchgate/patchgate/providers/aws") {
		if strings.HasPrefix(a, "config:") {
			called = append(called, a)
		}
	}
	slices.Sort(called)
	if len(called) < 2 {
		t.Fatalf("found only %v as Config calls: the scan is broken", called)
	}
	raw, err := os.ReadFile(filepath.Join(terraformDir, "policy-remediation-tenant.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc policyDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	tfb, err := os.ReadFile(filepath.Join(terraformDir, "remediation.tf"))
	if err != nil {
		t.Fatal(err)
	}
	tf := string(tfb)
	rules := map[string]string{
		"ec2-managedinstance-patch-compliance-status-check": "arn:aws:config:eu-west-1:111122223333:config-rule/config-rule-abc123",
		"required-tags-patch-group":                         "arn:aws:config:eu-west-1:111122223333:config-rule/config-rule-def456",
	}
	other := "arn:aws:config:eu-west-1:111122223333:config-rule/config-rule-zzz999"
	if p := remediationGrantProblems(doc, tf, called, rules, other); len(p) > 0 {
		t.Errorf("remediation grants: %s", strings.Join(p, "; "))
	}
	for _, f := range []string{"policy-bot.json", "policy-tenant.json", "policy-intake.json"} {
		for _, a := range policyActions(t, filepath.Join(terraformDir, f)) {
			if strings.HasPrefix(a, "config:") {
				t.Errorf("%s grants %s: Config calls belong to policy-remediation-tenant.json, on the listed rules only", f, a)
			}
		}
	}

	// The check can fail: a call left without its grant, a Resource the
	// JSON sets itself, and a .tf that grants beyond the listed rules.
	dropped := doc
	dropped.Statement = slices.Clone(doc.Statement)
	dropped.Statement[0].Action = dropped.Statement[0].Action[1:]
	wide := doc
	wide.Statement = slices.Clone(doc.Statement)
	wide.Statement[0].Resource = "*"
	extraARN := strings.Replace(tf, "values(var.remediation_extra_rules)) : []", "values(var.remediation_extra_rules), [\"*\"]) : []", 1)
	for name, p := range map[string][]string{
		"a call without its grant":      remediationGrantProblems(dropped, tf, called, rules, other),
		"a Resource set in the JSON":    remediationGrantProblems(wide, tf, called, rules, other),
		"a grant beyond the listed ARN": remediationGrantProblems(doc, extraARN, called, rules, other),
	} {
		if len(p) == 0 {
			t.Errorf("%s passes the check", name)
		}
	}
}
