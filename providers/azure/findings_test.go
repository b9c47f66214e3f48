package azure

import (
	"context"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/azure/azuretest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestPatchFindingsFromAssessPatches: the real armcompute client runs
// assessPatches against azuretest, which answers in the documented
// VirtualMachineAssessPatchesResult shape (availablePatches with patchId,
// kbId, classifications, publishedDate…). Each available patch becomes a
// finding with its publishedDate as release date and its classification
// mapped to a severity; Arc servers (whose result only counts patches) are
// not read and Measured says so.
func TestPatchFindingsFromAssessPatches(t *testing.T) {
	f := newFleet(t)
	published := time.Date(2026, 11, 12, 0, 0, 0, 0, time.UTC)
	f.srv.AddVM(azuretest.VM{Subscription: subA, ResourceGroup: rgA, Name: "vm-web-3", Tags: map[string]string{"env": "prod"}, OSType: "Windows", Agent: "Ready",
		Patches: []azuretest.AvailablePatch{
			{PatchID: "0c4f1ac5-2f3e-4c1b-9d5c-1b8a1f6c2a11", Name: "2026-11 Cumulative Update for Microsoft server operating system (KB5046616)", KBID: "5046616", Classifications: []string{"Security"}, Published: published},
			{PatchID: "b2a1d7e0-0000-4e2b-8c11-8f7d2e5b9c22", Name: "Windows Malicious Software Removal Tool", KBID: "890830", Classifications: []string{"UpdateRollUp"}, Published: published.AddDate(0, 0, -3)},
			{PatchID: "openssl_3.0.2-0ubuntu1.18", Name: "openssl", Version: "3.0.2-0ubuntu1.18", Classifications: []string{"Critical", "Security"}, Published: published},
		}})
	p := f.provider(t)
	hosts := f.hosts(t, p)
	var all []runbooks.Host
	for _, h := range hosts {
		all = append(all, h)
	}
	fs, err := p.PatchFindings(context.Background(), all)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]runbooks.PatchFinding{}
	for _, x := range fs {
		byID[x.PatchID] = x
		if x.HostName != "vm-web-3" || x.State != runbooks.PatchMissing || x.Source != "azure-vm assessPatches" {
			t.Errorf("finding %+v", x)
		}
	}
	if x := byID["KB5046616"]; x.Severity != runbooks.PatchHigh || !x.Released.Equal(published) || x.Classification != "Security" {
		t.Errorf("security update = %+v", x)
	}
	if x := byID["KB890830"]; x.Severity != runbooks.PatchUnrated {
		t.Errorf("update rollup = %+v", x)
	}
	if x := byID["openssl_3.0.2-0ubuntu1.18"]; x.Severity != runbooks.PatchCritical || x.Title != "openssl" {
		t.Errorf("critical linux package = %+v", x)
	}
	if len(fs) != 3 {
		t.Errorf("%d findings, want the 3 of vm-web-3 (the other VMs list none)", len(fs))
	}
	if p.Measured(hosts["arc-db-1"]) || !p.Measured(hosts["vm-web-3"]) {
		t.Error("Measured: want VMs measured, Arc servers not")
	}
}
