package aws

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

const patchRule = "ec2-managedinstance-patch-compliance-status-check"

// configProvider is a provider whose every endpoint, AWS Config's included,
// is the awstest fake (moto 5.2.1 has neither StartConfigRulesEvaluation
// nor GetComplianceDetailsByConfigRule; see awstest/config.go).
func configProvider(t *testing.T, url string, step time.Duration) *Provider {
	cfg := testConfig(url, "")
	cfg.Endpoints[configEndpoint] = url
	cfg.StepTimeout = step
	return newProvider(t, cfg)
}

// After the patch the remediation asks Config, in the tenant account
// through its role, to evaluate the rule again; Config's evaluation records
// COMPLIANT, and the read finds each instance's verdict among the rule's
// other resources (paged 100 at a time), whether Config names the resource
// by the bare instance ID or after a type prefix, and stops paging once it
// has them all (an instance Config never evaluated costs every page).
func TestConfigEventEvaluationStartsAndReadsComplianceFromConfig(t *testing.T) {
	s := awstest.NewServer(t)
	before := time.Date(2026, 12, 3, 9, 14, 4, 0, time.UTC)
	patched := before.Add(2 * time.Hour)
	ids := []string{"i-0a1b2c3d4e5f60718", "i-0fedcba9876543210"}
	names := map[string]string{ids[0]: "AWS::SSM::PatchCompliance/" + ids[0], ids[1]: ids[1]}
	s.AddConfigRule(acctA, patchRule, func(account, rule string) {
		for _, id := range ids {
			s.SetConfigResult(awstest.ConfigResult{Account: account, Rule: rule, ResourceType: "AWS::SSM::PatchCompliance",
				ResourceID: names[id], Compliance: "COMPLIANT", Recorded: patched})
		}
	})
	for _, id := range ids {
		s.SetConfigResult(awstest.ConfigResult{Account: acctA, Rule: patchRule, ResourceType: "AWS::SSM::PatchCompliance",
			ResourceID: names[id], Compliance: "NON_COMPLIANT", Recorded: before})
	}
	for i := range 250 {
		s.SetConfigResult(awstest.ConfigResult{Account: acctA, Rule: patchRule, ResourceType: "AWS::SSM::PatchCompliance",
			ResourceID: fmt.Sprintf("i-%017x", i+1), Compliance: "COMPLIANT", Recorded: before})
	}
	// The same instance ID in another account is another resource.
	s.AddConfigRule(acctB, patchRule, nil)
	s.SetConfigResult(awstest.ConfigResult{Account: acctB, Rule: patchRule, ResourceType: "AWS::SSM::PatchCompliance",
		ResourceID: ids[0], Compliance: "NON_COMPLIANT", Recorded: patched})
	p := configProvider(t, s.URL, 5*time.Second)
	ctx := context.Background()

	unknown := "i-00000000000000bad"
	res, err := p.Compliance(ctx, acctA, region, append(slices.Clone(ids), unknown), []string{patchRule})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range res {
		if r.Compliance != runbooks.NonCompliant || !r.Recorded.Equal(before) || r.Rule != patchRule {
			t.Errorf("before the evaluation: %+v, want NON_COMPLIANT recorded %v", r, before)
		}
	}
	if len(res) != 2 {
		t.Fatalf("results %+v: want one per known instance (none for %s)", res, unknown)
	}
	// The instances are on the first of three pages; the unknown one is
	// on none, so every page is read.
	if got := s.Calls("config.GetComplianceDetailsByConfigRule"); got < 3 {
		t.Errorf("pages read = %d, want all 3 while an instance has no verdict", got)
	}
	before3 := s.Calls("config.GetComplianceDetailsByConfigRule")
	if _, err := p.Compliance(ctx, acctA, region, ids, []string{patchRule}); err != nil {
		t.Fatal(err)
	}
	if got := s.Calls("config.GetComplianceDetailsByConfigRule") - before3; got >= 3 {
		t.Errorf("pages read = %d once every instance had its verdict on the first page, want paging to stop", got)
	}

	if err := p.StartEvaluation(ctx, acctA, region, []string{patchRule}); err != nil {
		t.Fatal(err)
	}
	if got := s.ConfigStarts(); len(got) != 1 || got[0].Account != acctA || !slices.Equal(got[0].Rules, []string{patchRule}) {
		t.Fatalf("evaluations started = %+v, want one of %s in %s", got, patchRule, acctA)
	}
	res, err = p.Compliance(ctx, acctA, region, ids, []string{patchRule})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]runbooks.ComplianceResult{}
	for _, r := range res {
		got[r.Instance] = r
	}
	for _, id := range ids {
		if r := got[id]; r.Compliance != runbooks.Compliant || !r.Recorded.Equal(patched) {
			t.Errorf("%s after the evaluation: %+v, want COMPLIANT recorded %v", id, r, patched)
		}
	}

	res, err = p.Compliance(ctx, acctB, region, ids[:1], []string{patchRule})
	if err != nil || len(res) != 1 || res[0].Compliance != runbooks.NonCompliant {
		t.Errorf("account %s: %+v, %v; want its own NON_COMPLIANT", acctB, res, err)
	}
}

// Config refuses a second start while the rule is still being evaluated
// (LimitExceededException); that evaluation serves, so the start counts as
// made. A rule Config does not have fails the start, naming AWS Config and
// the operation.
func TestConfigEventEvaluationAlreadyRunningOrRuleMissing(t *testing.T) {
	s := awstest.NewServer(t)
	s.AddConfigRule(acctA, patchRule, nil)
	s.SetConfigEvaluationRunning(acctA, patchRule, true)
	p := configProvider(t, s.URL, 5*time.Second)
	ctx := context.Background()
	if err := p.StartEvaluation(ctx, acctA, region, []string{patchRule}); err != nil {
		t.Errorf("start while an evaluation runs: %v, want it taken as started", err)
	}
	err := p.StartEvaluation(ctx, acctA, region, []string{"no-such-rule"})
	ce, ok := runbooks.AsCallError(err)
	if !ok || ce.Service != "config-service" || ce.Operation != "StartConfigRulesEvaluation" || ce.Scope != "account "+acctA {
		t.Fatalf("start of a missing rule: %#v, want a CallError of config-service StartConfigRulesEvaluation in account %s", err, acctA)
	}
	if !strings.Contains(err.Error(), "NoSuchConfigRule") {
		t.Errorf("error %q does not say the rule does not exist", err)
	}
	if _, err := p.Compliance(ctx, acctA, region, []string{"i-0a1b2c3d4e5f60718"}, []string{"no-such-rule"}); err == nil {
		t.Error("reading a missing rule's compliance succeeded")
	}
}

// An AWS Config endpoint that accepts the connection and never answers, or
// answers 500 with an HTML page, fails the start and the read within the
// step budget the engine gives them, with a cause naming the endpoint key.
func TestConfigEventHostileConfigPeerFailsWithinTheStepBudget(t *testing.T) {
	sts := awstest.NewServer(t) // the tenant role is assumed as usual
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("<html><body><h1>500 Internal Server Error</h1></body></html>"))
	}))
	t.Cleanup(html.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan net.Conn, 64)
	t.Cleanup(func() {
		l.Close()
		close(held)
		for c := range held {
			c.Close()
		}
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held <- c // held open, never answered
		}
	}()
	const step = 2 * time.Second
	for name, url := range map[string]string{"black hole": "http://" + l.Addr().String(), "500 with HTML": html.URL} {
		cfg := testConfig(sts.URL, "")
		cfg.Endpoints[configEndpoint] = url
		cfg.StepTimeout = step
		p := newProvider(t, cfg)
		for op, call := range map[string]func(context.Context) error{
			"StartConfigRulesEvaluation": func(ctx context.Context) error {
				return p.StartEvaluation(ctx, acctA, region, []string{patchRule})
			},
			"GetComplianceDetailsByConfigRule": func(ctx context.Context) error {
				_, err := p.Compliance(ctx, acctA, region, []string{"i-0a1b2c3d4e5f60718"}, []string{patchRule})
				return err
			},
		} {
			ctx, cancel := context.WithTimeout(context.Background(), step)
			start := time.Now()
			err := call(ctx)
			took := time.Since(start)
			cancel()
			if err == nil {
				t.Fatalf("%s %s: no error", name, op)
			}
			// A bound, not a timing assertion: a step that outlives its
			// budget by this much has no budget at all.
			if took > 5*step {
				t.Errorf("%s %s: took %v, far past its %v step", name, op, took, step)
			}
			ce, ok := runbooks.AsCallError(err)
			if !ok && !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%s %s: %v is neither a CallError nor the step's deadline", name, op, err)
				continue
			}
			if ok && (ce.Operation != op || ce.Endpoint != "providers.aws.endpoints."+configEndpoint) {
				t.Errorf("%s %s: %+v, want the operation and the endpoint key named", name, op, ce)
			}
			if name == "500 with HTML" && (!ok || ce.Status != http.StatusInternalServerError) {
				t.Errorf("%s %s: %v, want the 500 named", name, op, err)
			}
		}
	}
}
