package aws

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/providers/aws/settings"
	"github.com/patchgate/patchgate/runbooks"
)

// matching is the declared default baseline as SSM would report it.
var matching = awstest.Baseline{ID: "pb-0123456789abcdef0", OperatingSystem: settings.Defaults().Patch.Baseline.OperatingSystem,
	Severities: []string{"High", "Critical"}, Classifications: []string{"Security"}, ApproveAfterDays: 7}

// patchSetup starts moto with n instances and an SSM fake in front of it
// (serving the baseline calls moto lacks, forwarding SendCommand,
// ListCommands and GetCommandInvocation to moto).
func patchSetup(t *testing.T, n int, b awstest.Baseline) (*Provider, *awstest.Server, []string, string) {
	moto := awstest.Moto(t)
	fake := awstest.NewServer(t)
	fake.Upstream = moto
	fake.AddBaseline(b, "web")
	ids := runInstances(t, moto, acctA, n, map[string]string{"Name": "web", "PatchGroup": "web"})
	cfg := testConfig(moto, fake.URL)
	cfg.Patch.Baseline.PatchGroup = "web"
	cfg.Patch.MaxConcurrency, cfg.Patch.MaxErrors, cfg.Patch.RebootOption = "25%", "1", "NoReboot"
	return newProvider(t, cfg), fake, ids, moto
}

// TestPatchSendCommandMoto: 60 hosts become two AWS-RunPatchBaseline
// commands (≤ 50 each) with the configured rate controls, progress comes
// from GetCommandInvocation, and a resumed step finds the commands instead
// of sending new ones.
func TestPatchSendCommandMoto(t *testing.T) {
	p, fake, ids, moto := patchSetup(t, 60, matching)
	ctx := context.Background()
	req := opRequest("acme-20261122-0200-abc/nonprod/patch/0", hostsOf(ids))

	if _, found, err := p.FindPatch(ctx, req); err != nil || found {
		t.Fatalf("FindPatch before sending = %v, %v", found, err)
	}
	h, err := p.StartPatch(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if n := fake.Calls("ssm.SendCommand"); n != 2 {
		t.Fatalf("SendCommand called %d times for 60 hosts, want 2", n)
	}
	// (moto's ListCommands reports every instance of the account for a
	// command sent by InstanceIds, so chunk sizes are checked on the handle.)
	if hd, _ := decodeHandle(h, "patch"); len(hd.Parts) != 1 || len(hd.Parts[0].Commands) != 2 {
		t.Fatalf("handle = %+v, want one part with two commands", hd)
	} else {
		for id, ids := range hd.Parts[0].Commands {
			if len(ids) != 50 && len(ids) != 10 {
				t.Errorf("command %s has %d instances, want 50 or 10", id, len(ids))
			}
		}
	}
	st, err := p.PatchStatus(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Done || st.Total != 60 || st.Succeeded != 60 || st.Failed != 0 {
		t.Fatalf("status = %+v, want 60 of 60 succeeded", st)
	}

	c := ssm.NewFromConfig(motoConfig(moto, acctA), func(o *ssm.Options) { o.BaseEndpoint = aws.String(moto) })
	out, err := c.ListCommands(ctx, &ssm.ListCommandsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Commands) != 2 {
		t.Fatalf("moto has %d commands, want 2", len(out.Commands))
	}
	for _, cmd := range out.Commands {
		if aws.ToString(cmd.DocumentName) != "AWS-RunPatchBaseline" || cmd.Parameters["Operation"][0] != "Install" ||
			cmd.Parameters["RebootOption"][0] != "NoReboot" || aws.ToString(cmd.MaxConcurrency) != "25%" ||
			aws.ToString(cmd.MaxErrors) != "1" ||
			!strings.Contains(aws.ToString(cmd.Comment), req.Tag) {
			t.Errorf("command = doc %s params %v conc %s errs %s %d ids comment %q", aws.ToString(cmd.DocumentName), cmd.Parameters,
				aws.ToString(cmd.MaxConcurrency), aws.ToString(cmd.MaxErrors), len(cmd.InstanceIds), aws.ToString(cmd.Comment))
		}
	}

	h2, found, err := p.FindPatch(ctx, req)
	if err != nil || !found {
		t.Fatalf("FindPatch after StartPatch = %v, %v", found, err)
	}
	if st2, _ := p.PatchStatus(ctx, h2); st2.Total != 60 {
		t.Errorf("found handle covers %d hosts, want 60", st2.Total)
	}
	if _, err := p.StartPatch(ctx, req); err != nil {
		t.Fatal(err)
	}
	if n := fake.Calls("ssm.SendCommand"); n != 2 {
		t.Errorf("a repeated StartPatch sent again: %d SendCommand calls, want still 2", n)
	}
}

// TestBaselineMismatchBlocks: a registered baseline that differs from the
// declared one (or none at all) blocks the stage with the difference, and
// nothing is sent.
func TestBaselineMismatchBlocks(t *testing.T) {
	drifted := matching
	drifted.Severities, drifted.ApproveAfterDays = []string{"Critical"}, 14
	for _, tc := range []struct {
		name     string
		baseline awstest.Baseline
		group    string
		want     []string
	}{
		{"different", drifted, "web", []string{"differs from the declared baseline", "severity filter Critical, declared Critical+High", "approve after 14 days, declared 7"}},
		{"missing", matching, "db", []string{`no patch baseline for patch group "web"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			moto := awstest.Moto(t)
			fake := awstest.NewServer(t)
			fake.Upstream = moto
			fake.AddBaseline(tc.baseline, tc.group)
			ids := runInstances(t, moto, acctA, 1, map[string]string{"PatchGroup": "web"})
			cfg := testConfig(moto, fake.URL)
			cfg.Patch.Baseline.PatchGroup = "web"
			p := newProvider(t, cfg)
			_, err := p.StartPatch(context.Background(), opRequest("c/nonprod/patch/0", hostsOf(ids)))
			if runbooks.ErrorCode(err) != runbooks.CodeBlocked {
				t.Fatalf("err = %v, want code %s", err, runbooks.CodeBlocked)
			}
			for _, w := range tc.want {
				if !strings.Contains(runbooks.ErrorMessage(err), w) {
					t.Errorf("message %q lacks %q", runbooks.ErrorMessage(err), w)
				}
			}
			if n := fake.Calls("ssm.SendCommand"); n != 0 {
				t.Errorf("SendCommand called %d times despite the block", n)
			}
		})
	}
}

// TestVerifyPatch: after a Scan, a host with missing patches, one with a
// failed patch and one with no patch state are findings; a clean host is not.
func TestVerifyPatch(t *testing.T) {
	p, fake, ids, _ := patchSetup(t, 4, matching)
	states := []*awstest.PatchState{{Missing: 2, Operation: "Scan"}, {Failed: 1, Operation: "Install"}, nil, {Installed: 30, Operation: "Scan"}}
	for i, id := range ids {
		fake.Add(awstest.Instance{ID: id, Account: acctA, SSM: &awstest.Agent{PingStatus: "Online"}, Patches: states[i]})
	}
	findings, err := p.VerifyPatch(context.Background(), opRequest("c/nonprod/verify/0", hostsOf(ids)))
	if err != nil {
		t.Fatal(err)
	}
	if fake.Calls("ssm.SendCommand") != 1 {
		t.Errorf("scan commands sent: %d, want 1", fake.Calls("ssm.SendCommand"))
	}
	got := map[string]string{}
	for _, f := range findings {
		got[f.HostID] = f.Reason
	}
	if len(got) != 3 || !strings.Contains(got[ids[0]], "2 patch(es) missing") || !strings.Contains(got[ids[1]], "1 failed") ||
		!strings.Contains(got[ids[2]], "no patch state") || got[ids[3]] != "" {
		t.Fatalf("findings = %+v", findings)
	}
}
