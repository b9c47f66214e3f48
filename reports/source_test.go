package reports

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	rb "github.com/patchgate/patchgate/runbooks"
)

// sourced gives every gate, host and access record of the fixture the
// source a real deployment (or the simulation, with simulated=true) would.
func sourced(simulated bool) rb.ReportInput {
	in := reportInput()
	gateSrc := map[string][]string{"inventory": {rb.SourceAWSSSM, rb.SourceAzureVM, rb.SourceGCPOSConfig},
		"health": {rb.SourceDynatrace}, "sensors": {rb.SourceFalcon}, "backup": {rb.SourceAWSSSM},
		"patch": {rb.SourceAWSSSM}, "verify": {rb.SourceAWSSSM, rb.SourceDynatrace, rb.SourceFalcon}}
	hostSrc := map[rb.Cloud]string{rb.AWS: rb.SourceAWSSSM, rb.Azure: rb.SourceAzureVM, rb.GCP: rb.SourceGCPOSConfig}
	c := in.Cycle.Clone()
	for i := range c.Stages {
		for j := range c.Stages[i].Gates {
			g := &c.Stages[i].Gates[j]
			g.Sources = gateSrc[g.Name]
			if simulated && g.Name == "health" {
				// One gate left to the simulation is enough to mark the
				// whole report.
				g.Sources = []string{rb.SourceSimulation}
			}
		}
	}
	in.Cycle = c
	hosts := append([]rb.Host(nil), in.Hosts...)
	for i := range hosts {
		hosts[i].Source = hostSrc[hosts[i].Cloud]
	}
	in.Hosts, in.HostsBefore = hosts, hosts[:2]
	return in
}

// pdfPages returns the text of each page of the PDF at path, read page by
// page with pdftotext -f N -l N.
func pdfPages(t *testing.T, path string) []string {
	t.Helper()
	pdftotext := needTool(t, "pdftotext")
	all, err := exec.Command(pdftotext, path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", path, err)
	}
	n := strings.Count(string(all), "\f")
	if n < 2 {
		t.Fatalf("%s has %d pages, want several", path, n)
	}
	pages := make([]string, n)
	for i := range pages {
		p := strconv.Itoa(i + 1)
		out, err := exec.Command(pdftotext, "-f", p, "-l", p, path, "-").Output()
		if err != nil {
			t.Fatalf("pdftotext -f %s -l %s %s: %v", p, p, path, err)
		}
		pages[i] = string(out)
	}
	return pages
}

func TestEvidenceSourceSimulatedGateMarksEveryPageAndTheJSON(t *testing.T) {
	d := &Dir{Path: t.TempDir(), Now: func() time.Time { return at(31) }}
	rep, err := d.Report(context.Background(), sourced(true))
	if err != nil {
		t.Fatal(err)
	}
	for i, page := range pdfPages(t, rep.Location) {
		if !strings.Contains(page, rb.SimulatedMarking) {
			t.Errorf("page %d does not say %q:\n%s", i+1, rb.SimulatedMarking, page)
		}
	}
	var ev Evidence
	readJSON(t, rep.Files[0].Location, &ev)
	if !ev.Simulated || ev.Marking != rb.SimulatedMarking {
		t.Errorf("evidence JSON: simulated=%v marking=%q, want true and %q", ev.Simulated, ev.Marking, rb.SimulatedMarking)
	}
	if !strings.Contains(strings.Join(ev.Sources, ","), rb.SourceSimulation) {
		t.Errorf("evidence sources %v do not name the simulation", ev.Sources)
	}
	health := 0
	for _, g := range ev.GateSources {
		if g.Gate == "health" {
			health++
			if len(g.Sources) != 1 || g.Sources[0] != rb.SourceSimulation {
				t.Errorf("%s health gate sources %v, want [simulation]", g.Stage, g.Sources)
			}
		}
	}
	if health == 0 {
		t.Errorf("gate_sources has no health gate: %+v", ev.GateSources)
	}
}

func TestEvidenceSourceRealSourcesAreNeverMarked(t *testing.T) {
	d := &Dir{Path: t.TempDir(), Now: func() time.Time { return at(31) }}
	rep, err := d.Report(context.Background(), sourced(false))
	if err != nil {
		t.Fatal(err)
	}
	pages := pdfPages(t, rep.Location)
	for i, page := range pages {
		if strings.Contains(page, "SIMULATED") {
			t.Errorf("page %d of a report from real sources says SIMULATED:\n%s", i+1, page)
		}
	}
	// Evidence lines name where they came from.
	text := strings.Join(strings.Fields(strings.Join(pages, " ")), " ")
	for _, want := range []string{
		"production: health gate passed at 2026-11-23 06:30Z (source: dynatrace)",
		"(source: aws-ssm, azure-vm, gcp-osconfig)",
		"staging: post-patch sensor check passed at 2026-11-22 05:30Z: sensors online (source: aws-ssm, dynatrace, falcon)",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF does not say %q", want)
		}
	}
	var ev Evidence
	readJSON(t, rep.Files[0].Location, &ev)
	if ev.Simulated || ev.Marking != "" {
		t.Errorf("evidence JSON of real sources: simulated=%v marking=%q", ev.Simulated, ev.Marking)
	}
	for _, s := range ev.Sources {
		if s == rb.SourceSimulation {
			t.Errorf("evidence sources %v name the simulation", ev.Sources)
		}
	}
}

func TestEvidenceSourceSimulatedAccessReportMarksTheReport(t *testing.T) {
	in := sourced(false)
	acc := *in.Access
	acc.Grants = append([]rb.AccessGrant(nil), acc.Grants...)
	acc.Grants[0].Source = rb.SourceSimulation
	in.Access = &acc
	b := Bundle{Cycle: in.Cycle, Hosts: in.Hosts, Access: in.Access}
	if !b.Simulated() {
		t.Error("a simulated access report does not mark the report")
	}
	b.Access = nil
	if b.Simulated() {
		t.Error("real sources mark the report")
	}
}

// TestEvidenceSourceUnmeasuredSensorsAreAnException: hosts listed by a
// patch agent (aws-ssm) carry no EDR data, so the EDR lines count only the
// hosts an EDR source measured, and hosts nobody measured are an exception
// — never "no sensor" and never a pass.
func TestEvidenceSourceUnmeasuredSensorsAreAnException(t *testing.T) {
	b := fixture()
	hosts := append([]rb.Host(nil), b.Hosts...)
	for i := range hosts {
		hosts[i].Source = rb.SourceAWSSSM
		if i < 3 {
			hosts[i].HasSensor, hosts[i].SensorVersion, hosts[i].SensorSource = false, "", ""
		}
	}
	b.Hosts = hosts
	pci := result(t, b, "5.x")
	if pci.Status != StatusException {
		t.Errorf("5.x is %s with 3 hosts unmeasured, want an exception", pci.Status)
	}
	all := strings.Join(append(pci.Evidence, pci.Exceptions...), "\n")
	for _, want := range []string{
		"anti-malware sensor not measured on 3/7 hosts",
		"anti-malware sensor active on 4/4 measured hosts (100.0%) (source: falcon)",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("5.x lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "aws-ssm") || strings.Contains(all, "no EDR sensor") {
		t.Errorf("5.x credits the patch agent or calls unmeasured hosts sensorless:\n%s", all)
	}
	cc71 := strings.Join(result(t, b, "CC7.1").Evidence, "\n")
	for _, want := range []string{"EDR coverage: 4/4 hosts (100.0%) (source: falcon)", "EDR coverage not measured on 3 host(s)"} {
		if !strings.Contains(cc71, want) {
			t.Errorf("CC7.1 lacks %q:\n%s", want, cc71)
		}
	}
}
