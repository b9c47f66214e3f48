package test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/azure"
	"github.com/patchgate/patchgate/providers/azure/azuretest"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/test/fakes"
)

// addArcs registers Arc-enabled servers in the rig's production resource
// group (the inventory reads them when the deployment is requested).
func (r *cloudDeployRig) addArcs(names ...string) map[string]string {
	ids := map[string]string{}
	for _, n := range names {
		a := azuretest.Arc{Subscription: deploySub, ResourceGroup: "rg-app", Name: n, Tags: map[string]string{"env": "prod"},
			OSName: "linux", OSSKU: "Red Hat Enterprise Linux 9.4", OSVersion: "5.14.0-427.13.1.el9_4.x86_64", AgentVersion: "1.44.02840.1813"}
		if strings.Contains(n, "win") {
			a.OSName, a.OSType, a.OSSKU, a.OSVersion = "windows", "windows", "Windows Server 2022 Datacenter", "10.0.20348.2849"
		}
		ids[n] = r.azure.AddArc(a)
	}
	return ids
}

// protectedText is an extension's protected script or command, decoded
// (base64 on Linux; on Windows base64 UTF-16LE after -EncodedCommand,
// read here as ASCII with the zero bytes dropped).
func protectedText(e azuretest.Extension) string {
	if s, ok := e.Protected["script"].(string); ok {
		b, _ := base64.StdEncoding.DecodeString(s)
		return string(b)
	}
	cmd, _ := e.Protected["commandToExecute"].(string)
	b, _ := base64.StdEncoding.DecodeString(cmd[strings.LastIndex(cmd, " ")+1:])
	return strings.ReplaceAll(string(b), "\x00", "")
}

// TestSensorDeployAzureArcCIDNeverInLogsAuditOrSlack: a production
// deployment of three Arc-enabled servers (two Linux, one Windows) that
// coverage finds without a Falcon sensor, approved by two people, creates
// one Custom Script extension per machine (once each), the CID only in
// its protectedSettings; the sensors register and validation passes. The
// CID is in none of the logs, the audit events or the Slack channel.
func TestSensorDeployAzureArcCIDNeverInLogsAuditOrSlack(t *testing.T) {
	ctx := context.Background()
	r := newCloudDeployRig(t)
	ids := r.addArcs("arc-new-1", "arc-new-2", "arc-win-3")
	d := r.deploy(ctx, runbooks.DeployCompleted)
	if len(d.Hosts) != 3 || len(d.Batches) != 2 {
		t.Fatalf("deployment of %d hosts in %d batches, want 3 in 2", len(d.Hosts), len(d.Batches))
	}
	for _, h := range d.Hosts {
		exts := r.azure.Extensions(ids[h.Host.Name])
		if len(exts) != 1 || h.Result != "ok" {
			t.Errorf("%s: %d extensions, result %q; want one, ok", h.Host.Name, len(exts), h.Result)
		}
		for _, e := range exts {
			if !strings.Contains(protectedText(e), "FALCON_CID") || !strings.Contains(protectedText(e), deployCID) {
				t.Errorf("%s: protectedSettings %v: want the CID there", h.Host.Name, e.Protected)
			}
			public, _ := json.Marshal(map[string]any{"settings": e.Settings, "tags": e.Tags, "name": e.Name})
			if strings.Contains(string(public), deployCID) {
				t.Errorf("%s: the CID outside protectedSettings: %s", h.Host.Name, public)
			}
		}
	}
	for _, b := range d.Batches {
		if b.Source != runbooks.SourceAzureArc {
			t.Errorf("batch source %q, want %s", b.Source, runbooks.SourceAzureArc)
		}
	}
	if n := r.azure.CountSuffix("PUT", ""); n != 3 {
		t.Errorf("%d PUTs to ARM for 3 Arc machines, want one extension each: %v", n, r.azure.Requests())
	}
	all := r.slackText("validated on 3 host(s)")
	r.noSecret(ctx, d.ID, all)
}

// TestSensorDeployAzureArcFailedExtensionNamedPerHost: the Windows
// machine's Custom Script ends Failed (exit 3); the deployment fails with
// that host named and the handler's message (exit status and stderr), the
// Linux machines installed and counted, and the CID still nowhere.
func TestSensorDeployAzureArcFailedExtensionNamedPerHost(t *testing.T) {
	ctx := context.Background()
	r := newCloudDeployRig(t)
	ids := r.addArcs("arc-new-1", "arc-win-3")
	r.azure.FailExtension(ids["arc-win-3"], 3, "msiexec: Falcon sensor installation failed (1603)")
	d := r.deploy(ctx, runbooks.DeployFailed)
	if d.Failure == nil {
		t.Fatal("failed without a failure record")
	}
	var named []string
	for _, f := range d.Failure.Findings {
		named = append(named, f.HostName)
		if f.HostName == "arc-win-3" && (!strings.Contains(f.Reason, "exit status=3") || !strings.Contains(f.Reason, "1603") || f.Source != runbooks.SourceAzureArc) {
			t.Errorf("finding %+v: want the exit status, the script's stderr and %s as the source", f, runbooks.SourceAzureArc)
		}
	}
	if strings.Join(named, ",") != "arc-win-3" {
		t.Errorf("findings name %v, want only arc-win-3", named)
	}
	all := r.slackText("1603")
	r.noSecret(ctx, d.ID, all)
}

// TestSensorDeployAzureArcHostilePeerFailsWithinStepBudget: with ARM a
// black hole (connections held, never answered) or a proxy answering an
// HTML 500, each install step of an approved deployment to Arc machines
// ends inside engine.step_timeout as a counted failed attempt naming the
// extension read; after max_errors the deployment fails and pages, and its
// batch is never marked sent, so a retry sends it rather than polling an
// extension that does not exist.
func TestSensorDeployAzureArcHostilePeerFailsWithinStepBudget(t *testing.T) {
	for _, kind := range []string{"black-hole", "html-500"} {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			peer := blackHole(t, "http")
			if kind == "html-500" {
				peer = html500(t, false)
			}
			p, err := azure.New(azure.Config{Credential: azuretest.Credential{}, Endpoint: peer.URL, StepTimeout: budgetStep, Log: quiet,
				Sensor: azure.SensorInstall{Script: "#!/bin/sh\nexec /opt/falcon/install.sh\n",
					CID: func(context.Context) (string, error) { return deployCID, nil }}})
			if err != nil {
				t.Fatal(err)
			}
			tn := gateTenant()
			h := newHarness(t, backends()[0].open(t), sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tn}, HostsPerTarget: 1}, 0)
			arc := func(n string) runbooks.Host {
				return runbooks.Host{ID: "/subscriptions/" + deploySub + "/resourceGroups/rg-app/providers/Microsoft.HybridCompute/machines/" + n,
					Name: n, Cloud: runbooks.Azure, Account: deploySub, Region: "eastus2", Env: "nonprod", Source: runbooks.SourceAzureArc}
			}
			e, err := runbooks.New(runbooks.Config{Replica: "hostile", Workers: 2, LeaseTTL: 30 * time.Second,
				StepTimeout: budgetStep, MaxErrors: budgetMaxErrors},
				runbooks.Deps{Store: h.store, Clock: h.clock, Inventory: h.fleet, Sensors: h.fleet, Backups: h.fleet, Patcher: h.fleet,
					Health: h.fleet, Pager: h.fleet, Directory: h.fleet, Chat: fakes.NewChat(), Log: quiet,
					Reporter: &reports.Dir{Path: t.TempDir(), Now: h.clock.Now}, SensorInstaller: p,
					SensorFleet: fixedTargets{hosts: []runbooks.Host{arc("arc-1"), arc("arc-2")}}},
				[]runbooks.Tenant{tn}, testPipeline())
			if err != nil {
				t.Fatal(err)
			}
			d, err := e.RequestSensorDeploy(ctx, runbooks.SensorDeployRequest{Tenant: tn.Name, Env: "nonprod", Requester: requester})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.Decide(ctx, runbooks.Decision{Cycle: d.ID, Action: runbooks.Approve, Actor: alice, SeenRevision: d.Revision, InteractionID: "approve"}); err != nil {
				t.Fatal(err)
			}
			failing := 0
			for range budgetMaxErrors + 3 {
				if err := e.Tick(ctx); err != nil {
					t.Fatalf("tick: %v", err)
				}
				cur, err := e.GetSensorDeploy(ctx, d.ID)
				if err != nil {
					t.Fatal(err)
				}
				if cur.Batches[0].Sent() {
					t.Fatalf("batch marked sent with handle %q while ARM never answered", cur.Batches[0].Handle)
				}
				if cur.Status == runbooks.DeployFailed {
					d = cur
					break
				}
				if cur.Errors > 0 {
					failing = cur.Errors
				}
				h.clock.Advance(time.Minute)
			}
			if d.Status != runbooks.DeployFailed || d.Failure == nil {
				t.Fatalf("deployment %s after %d failing ticks, want failed", d.Status, failing)
			}
			if failing != budgetMaxErrors-1 {
				t.Errorf("failed after %d counted attempts before the last, want max_errors-1 = %d", failing, budgetMaxErrors-1)
			}
			if !strings.Contains(d.Failure.Reason, "read extension") || !strings.Contains(d.Failure.Reason, "Arc machine arc-") {
				t.Errorf("failure %q: want it to name the extension read on the Arc machine (the find before a send)", d.Failure.Reason)
			}
			if strings.Contains(d.Failure.Reason, deployCID) {
				t.Error("the CID is in the failure")
			}
			if peer.conns.Load() == 0 {
				t.Errorf("the %s was never called", kind)
			}
			e.Tick(ctx) // pages, if the failing tick did not
			if inc := h.fleet.Stats().Incidents["patchgate/"+d.ID]; inc.Opened != 1 {
				t.Errorf("incident %+v, want one page", inc)
			}
		})
	}
}
