package test

import (
	"context"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/falcon"
	"github.com/patchgate/patchgate/providers/falcon/falcontest"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/edr"
)

// edrInventory lists fixed hosts for every environment.
type edrInventory []runbooks.Host

func (i edrInventory) Hosts(context.Context, runbooks.Tenant, runbooks.Environment) ([]runbooks.Host, error) {
	return i, nil
}

const (
	hgProd   = "0123456789abcdef0123456789abcd01"
	prevProd = "0123456789abcdef0123456789abcd02"
	supProd  = "0123456789abcdef0123456789abcd03"
	hgOther  = "0123456789abcdef0123456789abcd99"
)

func edrHosts() edrInventory {
	var hs edrInventory
	for _, id := range []string{"ok", "group", "prev", "old", "rfm", "byname", "none"} {
		hs = append(hs, runbooks.Host{ID: "i-" + id, Name: "web-" + id, Cloud: runbooks.AWS, Account: "111122223333",
			Env: "production", Kernel: "5.14.0-611.el9", Source: runbooks.SourceAWSSSM})
	}
	return hs
}

// TestSensorValidateAgainstFalconShapes: validation through gofalcon
// against falcontest's documented device-details and sensor-update policy
// shapes lists, per host, each failed check with what Falcon answered, what
// edr.tiers expects and the fix.
func TestSensorValidateAgainstFalconShapes(t *testing.T) {
	srv := falcontest.New(t, "edr-client", "edr-secret-0123456789")
	good := func(id string) falcontest.Device {
		return falcontest.Device{ID: "dev-" + id, Hostname: "web-" + id, InstanceID: "i-" + id, AccountID: "111122223333",
			AgentVersion: "7.20.19113", KernelVersion: "5.14.0-611.el9", LastSeen: "2026-12-06T07:00:00Z",
			Groups: []string{hgProd}, Prevention: prevProd, SensorUpdate: supProd}
	}
	srv.SetUpdatePolicy(supProd, "7.20.19113")
	srv.AddDevice(good("ok"))
	d := good("group")
	d.Groups = []string{hgOther}
	srv.AddDevice(d)
	d = good("prev")
	d.Prevention = "0123456789abcdef0123456789abcd98"
	srv.AddDevice(d)
	d = good("old")
	d.AgentVersion = "7.12.17706"
	srv.AddDevice(d)
	d = good("rfm")
	d.RFM = true
	srv.AddDevice(d)
	d = good("byname")
	d.InstanceID = ""
	srv.AddDevice(d)

	c, err := falcon.New(falcon.Config{ClientID: "edr-client", ClientSecret: "edr-secret-0123456789", BaseURL: srv.URL, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	svc := &edr.Service{Tenants: []runbooks.Tenant{{Name: "cu1", Environments: []runbooks.Environment{{Name: "production"}}}},
		Inventory: edrHosts(), Fleet: c,
		Tiers: map[string]edr.Tier{"production": {MinVersion: "7.14", HostGroup: hgProd, PreventionPolicy: prevProd, SensorUpdatePolicy: supProd}}}
	v, err := svc.Validate(context.Background(), "cu1", "production")
	if err != nil {
		t.Fatal(err)
	}
	e := v.Envs[0]
	if e.Passed != 1 || e.Hosts != 7 || strings.Join(e.Sources, ",") != "aws-ssm,falcon" {
		t.Errorf("passed %d of %d, sources %v; want 1 of 7 from aws-ssm and falcon", e.Passed, e.Hosts, e.Sources)
	}
	want := map[string]string{"i-group": edr.CheckHostGroup, "i-prev": edr.CheckPrevention, "i-old": edr.CheckVersion,
		"i-rfm": edr.CheckRFM, "i-byname": edr.CheckInstanceID, "i-none": edr.CheckRegistered}
	got := map[string]string{}
	for _, f := range e.Failures {
		if got[f.HostID] != "" {
			t.Errorf("%s failed %s and %s; want only one", f.HostID, got[f.HostID], f.Check)
		}
		got[f.HostID] = f.Check
		if f.Fix == "" || f.Got == "" || f.Want == "" {
			t.Errorf("%s %s: got %q want %q fix %q", f.HostID, f.Check, f.Got, f.Want, f.Fix)
		}
	}
	for id, check := range want {
		if got[id] != check {
			t.Errorf("%s failed %q, want %q", id, got[id], check)
		}
	}
	text, err := svc.Command(context.Background(), []string{"validate", "cu1"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"cu1/production: 1 of 7 hosts pass, 6 failed checks (source: aws-ssm, falcon)",
		"web-group (i-group) host group: " + hgOther + ", want " + hgProd, "web-old (i-old) version: 7.12.17706, want ≥ 7.14"} {
		if !strings.Contains(text, s) {
			t.Errorf("reply lacks %q:\n%s", s, text)
		}
	}
	if srv.Count("/policy/entities/sensor-update/v2") == 0 {
		t.Error("the sensor-update policy was never read")
	}
}

// TestSensorValidateHostileFalcon: a Falcon that never answers, or a proxy
// answering 500 with an HTML page, leaves the environment "not validated"
// and "not measured" with the cause named, within the service's budget;
// nothing is claimed about the hosts.
func TestSensorValidateHostileFalcon(t *testing.T) {
	for _, kind := range []string{"black-hole", "html-500"} {
		t.Run(kind, func(t *testing.T) {
			peer := map[string]func() hostile{"black-hole": func() hostile { return blackHole(t, "https") },
				"html-500": func() hostile { return html500(t, true) }}[kind]()
			c, err := falcon.New(falcon.Config{AccessToken: "falcon-test-token", HostOverride: peer.Addr,
				HTTPClient:  &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}},
				StepTimeout: budgetStep, Log: quiet})
			if err != nil {
				t.Fatal(err)
			}
			svc := &edr.Service{Tenants: []runbooks.Tenant{{Name: "cu1", Environments: []runbooks.Environment{{Name: "production"}}}},
				Inventory: edrHosts(), Fleet: c, Timeout: budgetStep}
			text, err := svc.Command(context.Background(), []string{"validate", "cu1", "production"})
			if err == nil {
				t.Fatal("no error from a hostile Falcon")
			}
			if !strings.Contains(text, "cu1/production: not validated — sensors not read from falcon: falcon") || !causes[kind].MatchString(text) {
				t.Errorf("validation reply does not name the cause:\n%s", text)
			}
			cov, _ := svc.Command(context.Background(), []string{"cu1"})
			if !strings.Contains(cov, "cu1/production: not measured") || strings.Contains(cov, "without a sensor") {
				t.Errorf("coverage claims what it did not measure:\n%s", cov)
			}
			if strings.Contains(text+cov, "falcon-test-token") {
				t.Error("the bearer token reached the reply")
			}
		})
	}
}
