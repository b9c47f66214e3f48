package edr

import (
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

func TestSensorValidateChecksEachExpectation(t *testing.T) {
	tier := Tier{Env: "production", MinVersion: "7.14", HostGroup: "hg", PreventionPolicy: "prev", SensorUpdatePolicy: "sup"}
	good := Sensor{MatchedBy: "instance_id", Version: "7.20", HostGroups: []string{"other", "hg"}, PreventionPolicy: "prev", SensorUpdatePolicy: "sup"}
	tests := []struct {
		name   string
		sensor *Sensor
		checks []string
	}{
		{"passes", &good, nil},
		{"not registered", nil, []string{CheckRegistered}},
		{"matched by hostname", with(good, func(s *Sensor) { s.MatchedBy = "hostname" }), []string{CheckInstanceID}},
		{"wrong group", with(good, func(s *Sensor) { s.HostGroups = nil }), []string{CheckHostGroup}},
		{"detection policy", with(good, func(s *Sensor) { s.PreventionPolicy = "detect" }), []string{CheckPrevention}},
		{"other update policy", with(good, func(s *Sensor) { s.SensorUpdatePolicy = "" }), []string{CheckSensorUpdate}},
		{"old and in RFM", with(good, func(s *Sensor) { s.Version, s.RFM = "7.9", true }), []string{CheckVersion, CheckRFM}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sensors := map[string]Sensor{}
			if tc.sensor != nil {
				sensors["i-1"] = *tc.sensor
			}
			v := Validate("cu1", tier, []runbooks.Host{{ID: "i-1", Name: "h1", Source: "aws-ssm"}}, sensors, "falcon")
			var got []string
			for _, f := range v.Failures {
				got = append(got, f.Check)
				if f.Fix == "" {
					t.Errorf("%s has no fix", f.Check)
				}
			}
			if strings.Join(got, ",") != strings.Join(tc.checks, ",") {
				t.Errorf("failed %v, want %v", got, tc.checks)
			}
			if (len(tc.checks) == 0) != (v.Passed == 1) {
				t.Errorf("passed %d with failures %v", v.Passed, got)
			}
		})
	}
	// Nothing configured: only registration, instance match and RFM count.
	v := Validate("cu1", Tier{Env: "nonprod"}, []runbooks.Host{{ID: "i-1"}}, map[string]Sensor{"i-1": {MatchedBy: "instance_id", Version: "1.0"}}, "falcon")
	if v.Passed != 1 {
		t.Errorf("no expectations: %+v", v.Failures)
	}
}

func with(s Sensor, f func(*Sensor)) *Sensor {
	f(&s)
	return &s
}
