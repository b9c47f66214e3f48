package sim

import (
	"context"
	"reflect"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

func TestPager(t *testing.T) {
	const key = "patchgate/c1/nonprod"
	for _, tc := range []struct {
		name     string
		calls    string // t=trigger a=ack r=resolve, in order
		want     IncidentState
		opened   int
		absent   bool
		triggers int
	}{
		{"one trigger", "t", IncidentState{Status: IncidentTriggered, Triggers: 1, Opened: 1}, 1, false, 1},
		{"replayed trigger is one incident", "ttt", IncidentState{Status: IncidentTriggered, Triggers: 3, Opened: 1}, 1, false, 3},
		{"acknowledged stays acknowledged on re-trigger", "tat", IncidentState{Status: IncidentAcknowledged, Triggers: 2, Acks: 1, Opened: 1}, 1, false, 2},
		{"double ack", "taa", IncidentState{Status: IncidentAcknowledged, Triggers: 1, Acks: 2, Opened: 1}, 1, false, 1},
		{"resolve twice", "trr", IncidentState{Status: IncidentResolved, Triggers: 1, Resolves: 2, Opened: 1}, 1, false, 1},
		{"ack after resolve is ignored", "tra", IncidentState{Status: IncidentResolved, Triggers: 1, Acks: 1, Resolves: 1, Opened: 1}, 1, false, 1},
		{"trigger after resolve opens a new incident", "trt", IncidentState{Status: IncidentTriggered, Triggers: 2, Resolves: 1, Opened: 2}, 2, false, 2},
		{"ack and resolve of an unknown key", "ar", IncidentState{}, 0, true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := demoFleet(t, nil)
			ctx := context.Background()
			var acks, resolves int
			for _, c := range tc.calls {
				var err error
				switch c {
				case 't':
					err = f.Trigger(ctx, runbooks.Page{DedupKey: key, Summary: "nonprod halted", Severity: runbooks.SeverityWarning})
				case 'a':
					acks++
					err = f.Acknowledge(ctx, key)
				case 'r':
					resolves++
					err = f.Resolve(ctx, key)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			s := f.Stats()
			got, ok := s.Incidents[key]
			if ok == tc.absent {
				t.Fatalf("incident present=%v, want %v", ok, !tc.absent)
			}
			got.Summary, got.Severity, got.Details = "", "", nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("incident %+v, want %+v", got, tc.want)
			}
			if s.IncidentsOpened != tc.opened || s.PageTriggers != tc.triggers || s.PageAcks != acks || s.PageResolves != resolves {
				t.Errorf("opened %d triggers %d acks %d resolves %d", s.IncidentsOpened, s.PageTriggers, s.PageAcks, s.PageResolves)
			}
		})
	}
}

func TestPagerKeepsPageDetails(t *testing.T) {
	f := demoFleet(t, nil)
	p := runbooks.Page{DedupKey: "k", Summary: "s", Severity: runbooks.SeverityCritical, Details: map[string]string{"hosts": "a,b"}}
	if err := f.Trigger(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	p.Details["hosts"] = "changed by caller"
	s := f.Stats()
	s.Incidents["k"].Details["hosts"] = "changed by reader"
	if got := f.Stats().Incidents["k"]; got.Severity != runbooks.SeverityCritical || got.Details["hosts"] != "a,b" {
		t.Errorf("incident %+v: the fleet shares maps with its callers", got)
	}
	if err := f.Trigger(context.Background(), runbooks.Page{}); runbooks.ErrorCode(err) != runbooks.CodeInvalid {
		t.Errorf("page without dedup key: %v", err)
	}
}

func TestDirectory(t *testing.T) {
	f := demoFleet(t, func(c *Config) { c.Groups = map[string][]string{"S-PROD": {"U1", "U2"}} })
	ctx := context.Background()
	got, err := f.GroupMembers(ctx, "S-PROD")
	if err != nil || !reflect.DeepEqual(got, []string{"U1", "U2"}) {
		t.Errorf("GroupMembers: %v %v", got, err)
	}
	got[0] = "mutated"
	if again, _ := f.GroupMembers(ctx, "S-PROD"); again[0] != "U1" {
		t.Error("GroupMembers shares its slice with callers")
	}
	if _, err := f.GroupMembers(ctx, "S-NONE"); runbooks.ErrorCode(err) != runbooks.CodeNotFound {
		t.Errorf("unknown group: %v", err)
	}
}
