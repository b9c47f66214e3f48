package aws

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/aws/awstest"
)

// fakePatchProvider is a provider whose STS and SSM are the fake alone, so
// command outcomes can be chosen per instance.
func fakePatchProvider(t *testing.T) (*Provider, *awstest.Server) {
	fake := awstest.NewServer(t)
	fake.AddBaseline(matching, "")
	cfg := testConfig(fake.URL, fake.URL)
	return newProvider(t, cfg), fake
}

func instanceIDs(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("i-%017d", i)
	}
	return ids
}

// TestPatchStatusCountsAndFindings: invocations still running keep the
// operation open; failed and timed-out ones are counted and named with the
// first line of their error output.
func TestPatchStatusCountsAndFindings(t *testing.T) {
	p, fake := fakePatchProvider(t)
	ctx := context.Background()
	ids := instanceIDs(5)
	fake.SetInvocation(ids[1], awstest.Invocation{Status: "Failed", Stderr: "yum: cannot resolve mirror\nmore detail"})
	fake.SetInvocation(ids[2], awstest.Invocation{Status: "TimedOut"})
	fake.SetInvocation(ids[3], awstest.Invocation{Status: "InProgress"})
	hosts := hostsOf(ids)
	hosts[1].Name = "ledger-app-2"
	h, err := p.StartPatch(ctx, opRequest("c/nonprod/patch/0", hosts))
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.PatchStatus(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if st.Done || st.Total != 5 || st.Succeeded != 2 || st.Failed != 2 || len(st.Findings) != 2 {
		t.Fatalf("status with one invocation in progress = %+v", st)
	}
	f := st.Findings[0]
	if f.HostID != ids[1] || f.HostName != "ledger-app-2" || !strings.Contains(f.Reason, "Failed") ||
		!strings.Contains(f.Reason, "yum: cannot resolve mirror") || strings.Contains(f.Reason, "more detail") {
		t.Errorf("finding = %+v", f)
	}
	fake.SetInvocation(ids[3], awstest.Invocation{Status: "Success"})
	if st, _ = p.PatchStatus(ctx, h); !st.Done || st.Succeeded != 3 || st.Failed != 2 {
		t.Errorf("status after the last invocation ended = %+v", st)
	}
}

// TestPatchResumeAfterPartialSend: a step that crashed after sending the
// first of two chunks is not "found"; StartPatch then sends only the
// missing chunk, and the handle covers every host.
func TestPatchResumeAfterPartialSend(t *testing.T) {
	p, fake := fakePatchProvider(t)
	ctx := context.Background()
	ids := instanceIDs(70)
	req := opRequest("c/nonprod/patch/0", hostsOf(ids))
	first := chunks(hostsOf(ids))[0]
	if _, err := p.sendCommand(ctx, p.clientsFor(acctA, region), "install", comment("install", req.Tag, 0, 2), first); err != nil {
		t.Fatal(err)
	}
	if _, found, err := p.FindPatch(ctx, req); err != nil || found {
		t.Fatalf("FindPatch after a partial send = %v, %v; want not found", found, err)
	}
	h, err := p.StartPatch(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if fake.Commands() != 2 {
		t.Fatalf("%d commands exist, want 2 (the resumed step sends only the missing chunk)", fake.Commands())
	}
	st, err := p.PatchStatus(ctx, h)
	if err != nil || st.Total != 70 || st.Succeeded != 70 {
		t.Fatalf("status = %+v, %v", st, err)
	}
	if _, found, _ := p.FindPatch(ctx, req); !found {
		t.Error("FindPatch after the resumed send did not find both chunks")
	}
}
