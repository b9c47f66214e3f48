package multi

import (
	"context"
	"fmt"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// findingsOf answers PatchFindings with one finding per host, refusing a
// host of another cloud.
type findingsOf runbooks.Cloud

func (c findingsOf) PatchFindings(_ context.Context, hosts []runbooks.Host) ([]runbooks.PatchFinding, error) {
	var out []runbooks.PatchFinding
	for _, h := range hosts {
		if h.Cloud != runbooks.Cloud(c) {
			return nil, fmt.Errorf("%s asked about a %s host", c, h.Cloud)
		}
		out = append(out, runbooks.PatchFinding{HostID: h.ID, PatchID: "p", State: runbooks.PatchMissing})
	}
	return out, nil
}

// TestPatchFindingsGoToEachHostsCloudAndSayWhatWasNotMeasured: AWS and GCP
// read their own hosts' findings; Azure has no reader, so its host is not
// asked anywhere and Measured says so.
func TestPatchFindingsGoToEachHostsCloudAndSayWhatWasNotMeasured(t *testing.T) {
	aws, az, gcp := newFake(runbooks.AWS), newFake(runbooks.Azure), newFake(runbooks.GCP)
	ca, cg := aws.cloud(), gcp.cloud()
	ca.Findings, cg.Findings = findingsOf(runbooks.AWS), findingsOf(runbooks.GCP)
	r, err := New(map[runbooks.Cloud]Cloud{runbooks.AWS: ca, runbooks.Azure: az.cloud(), runbooks.GCP: cg})
	if err != nil {
		t.Fatal(err)
	}
	hosts := []runbooks.Host{{ID: "i-1", Cloud: runbooks.AWS}, {ID: "vm-1", Cloud: runbooks.Azure}, {ID: "g-1", Cloud: runbooks.GCP}}
	fs, err := r.PatchFindings(context.Background(), hosts)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 2 || fs[0].HostID != "i-1" || fs[1].HostID != "g-1" {
		t.Errorf("findings %+v, want i-1 then g-1", fs)
	}
	if !r.Measured(hosts[0]) || r.Measured(hosts[1]) || !r.Measured(hosts[2]) {
		t.Error("Measured should be false only for the Azure host")
	}
}
