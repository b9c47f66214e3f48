package falcon

import (
	"context"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/edr"
)

func TestSensorCoverageFromFalcon(t *testing.T) {
	f, srv := newFake(t, testNow)
	ok, old, rfm, gone, none := rhel8Host("i-ok"), rhel8Host("i-old"), rhel8Host("i-rfm"), rhel8Host("i-gone"), rhel8Host("i-none")
	dRFM := device(rfm, "7.20.19113")
	dRFM.RFM = "yes"
	dGone := device(gone, "7.18.18803")
	dGone.SensorUpdate = "su-deleted"
	dOK := device(ok, "7.20.19113")
	dOK.Groups = []string{"hg-prod"}
	f.devices = []fakeDevice{dOK, device(old, "7.18.18803"), dRFM, dGone}
	f.updates = map[string]fakeUpdatePolicy{"su-1": {Version: "7.20.19113", Enabled: true}}
	c, _, _ := newTestClient(t, f, srv, nil)

	hosts := []runbooks.Host{ok, old, rfm, gone, none}
	got, err := c.SensorsOf(context.Background(), hosts)
	if err != nil {
		t.Fatal(err)
	}
	if s := got["i-ok"]; s.DeviceID != "dev-i-ok" || s.MatchedBy != "instance_id" || s.TargetVersion != "7.20.19113" ||
		s.PreventionPolicy != "prev-1" || strings.Join(s.HostGroups, ",") != "hg-prod" {
		t.Errorf("i-ok read as %+v", s)
	}
	if s := got["i-gone"]; s.TargetVersion != "" || s.SensorUpdatePolicy != "su-deleted" {
		t.Errorf("a device on a deleted policy read as %+v: want no target", s)
	}
	cov := edr.Evaluate("cu1", edr.Tier{Env: "production", MinVersion: "7.15"}, hosts, got, c.EvidenceSource())
	kinds := map[string]string{}
	for _, g := range cov.Gaps {
		kinds[g.HostID] = g.Kind
	}
	want := map[string]string{"i-old": edr.GapOutdated, "i-rfm": edr.GapRFM, "i-none": edr.GapMissing}
	for id, k := range want {
		if kinds[id] != k {
			t.Errorf("%s: gap %q, want %q (all: %v)", id, kinds[id], k, kinds)
		}
	}
	if cov.Covered != 2 || strings.Join(cov.Sources, ",") != "falcon" {
		t.Errorf("covered %d sources %v, want 2 and falcon", cov.Covered, cov.Sources)
	}
	if n := f.calls["/policy/entities/sensor-update/v2"]; n != 1 {
		t.Errorf("%d policy reads, want 1 for two policies", n)
	}
}

func TestSensorCoverageFalconPolicyReadForbidden(t *testing.T) {
	f, srv := newFake(t, testNow)
	h := rhel8Host("i-1")
	f.devices = []fakeDevice{device(h, "7.20.19113")}
	f.fail = map[string]string{"/policy/entities/sensor-update/v2": "access denied, authorization failed for $AUTH"}
	c, _, _ := newTestClient(t, f, srv, nil)
	_, err := c.SensorsOf(context.Background(), []runbooks.Host{h})
	if err == nil || !strings.Contains(err.Error(), "sensor-update policies") {
		t.Fatalf("err %v, want the policy read named", err)
	}
	if strings.Contains(err.Error(), f.token) {
		t.Errorf("the bearer token reached the error: %v", err)
	}
}
