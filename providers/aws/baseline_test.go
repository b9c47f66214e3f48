package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestBaselinePerPatchGroupMoto: each instance is checked against the
// baseline SSM will actually apply to it (its PatchGroup tag's, else the
// default), compared with the baseline its environment declares.
func TestBaselinePerPatchGroupMoto(t *testing.T) {
	strict := matching
	strict.ID, strict.Severities, strict.ApproveAfterDays = "pb-0strict000000000", []string{"Critical"}, 3
	moto := awstest.Moto(t)
	fake := awstest.NewServer(t)
	fake.Upstream = moto
	fake.AddBaseline(matching, "")   // the region's default
	fake.AddBaseline(strict, "prod") // what PatchGroup=prod instances get
	untagged := runInstances(t, moto, acctA, 1, map[string]string{"tier": "web"})
	prod := runInstances(t, moto, acctA, 2, map[string]string{"tier": "web", "PatchGroup": "prod"})

	cfg := testConfig(moto, fake.URL)
	cfg.Patch.Baselines = map[string]Baseline{"production": {Severities: []string{"Critical"}, ApproveAfterDays: 3}}
	p := newProvider(t, cfg)
	ctx := context.Background()
	req := func(env string, ids []string) runbooks.OpRequest {
		r := opRequest("c/"+env+"/patch/0", hostsOf(ids))
		r.Env, r.Stage = env, env
		return r
	}

	// Untagged instances in nonprod get the default, which matches.
	if _, err := p.patchGroupsCheck(ctx, "nonprod", untagged); err != nil {
		t.Errorf("nonprod, untagged: %v", err)
	}
	// PatchGroup=prod instances get the strict baseline, which differs from
	// the provider-wide declaration...
	_, err := p.StartPatch(ctx, req("nonprod", prod))
	if runbooks.ErrorCode(err) != runbooks.CodeBlocked || !strings.Contains(err.Error(), strict.ID) ||
		!strings.Contains(err.Error(), `patch group "prod"`) || !strings.Contains(err.Error(), "severity filter Critical, declared Critical+High") {
		t.Errorf("nonprod with PatchGroup=prod instances: err = %v, want blocked naming %s and the difference", err, strict.ID)
	}
	// ...and matches what production declares, where the untagged one
	// (default baseline) does not.
	if _, err := p.patchGroupsCheck(ctx, "production", prod); err != nil {
		t.Errorf("production, PatchGroup=prod: %v", err)
	}
	_, err = p.StartPatch(ctx, req("production", append(prod, untagged...)))
	if err == nil || !strings.Contains(err.Error(), "default patch baseline") || !strings.Contains(err.Error(), "environment production") {
		t.Errorf("production with an untagged instance: err = %v, want the default baseline named as differing", err)
	}
	if n := fake.Calls("ssm.SendCommand"); n != 0 {
		t.Errorf("SendCommand called %d times despite the blocks", n)
	}
}

// patchGroupsCheck runs the baseline check for ids in env.
func (p *Provider) patchGroupsCheck(ctx context.Context, env string, ids []string) (string, error) {
	c := p.clientsFor(acctA, region)
	groups, err := p.patchGroups(ctx, c, nil, ids)
	if err != nil {
		return "", err
	}
	return p.checkBaseline(ctx, c, env, groups)
}

// TestPreflightDryRunBaselineAWS: the preflight's read-only baseline check
// reads each target's patch groups from EC2 and the registered baselines
// from SSM (moto behind the SSM fake), blocks on a difference naming it,
// passes where the declared baseline is the one registered, and sends
// nothing.
func TestPreflightDryRunBaselineAWS(t *testing.T) {
	strict := matching
	strict.ID, strict.Severities, strict.ApproveAfterDays = "pb-0strict000000000", []string{"Critical"}, 3
	moto := awstest.Moto(t)
	fake := awstest.NewServer(t)
	fake.Upstream = moto
	fake.AddBaseline(matching, "")
	fake.AddBaseline(strict, "prod")
	runInstances(t, moto, acctA, 1, map[string]string{"tier": "web"})
	runInstances(t, moto, acctA, 2, map[string]string{"tier": "db", "PatchGroup": "prod"})

	cfg := testConfig(moto, fake.URL)
	cfg.Patch.Baselines = map[string]Baseline{"production": {Severities: []string{"Critical"}, ApproveAfterDays: 3}}
	p := newProvider(t, cfg)
	ctx := context.Background()
	env := func(name string, selector map[string]string) runbooks.Environment {
		return runbooks.Environment{Name: name, Targets: []runbooks.Target{{Cloud: runbooks.AWS, Account: acctA, Selector: selector}}}
	}

	found, err := p.CheckBaseline(ctx, runbooks.Tenant{Name: "acme"}, env("production", map[string]string{"tier": "db"}))
	if err != nil || !strings.Contains(found, strict.ID) || !strings.Contains(found, "2 instances") {
		t.Errorf("production (PatchGroup=prod): found %q, err %v; want %s for 2 instances", found, err, strict.ID)
	}
	_, err = p.CheckBaseline(ctx, runbooks.Tenant{Name: "acme"}, env("production", map[string]string{"tier": "web"}))
	if runbooks.ErrorCode(err) != runbooks.CodeBlocked || !strings.Contains(err.Error(), "default patch baseline") {
		t.Errorf("production (untagged): err = %v, want blocked naming the default baseline", err)
	}
	if _, err := p.CheckBaseline(ctx, runbooks.Tenant{Name: "acme"}, env("nonprod", map[string]string{"tier": "web"})); err != nil {
		t.Errorf("nonprod (untagged, default matches): %v", err)
	}
	if n := fake.Calls("ssm.SendCommand"); n != 0 {
		t.Errorf("the read-only check sent %d commands", n)
	}
}
