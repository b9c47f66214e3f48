package test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/azure"
	"github.com/patchgate/patchgate/providers/azure/azuretest"
	azsettings "github.com/patchgate/patchgate/providers/azure/settings"
	"github.com/patchgate/patchgate/providers/falcon"
	"github.com/patchgate/patchgate/providers/falcon/falcontest"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/runbooks/edr"
)

const (
	deployCID = "DEADBEEF0123456789ABCDEF01234567-9A"
	deploySub = "22222222-2222-2222-2222-222222222222"
)

// lockedBuffer is one log every component writes to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// registering passes an installer through and, for every host it reports
// installed, makes the sensor register in the Falcon fake as a freshly
// installed sensor does (with the instance ID it reads from the metadata
// service, in the tier's group and policies),
// except the hosts in never.
type registering struct {
	runbooks.SensorInstaller
	falcon *falcontest.Server
	mu     sync.Mutex
	never  map[string]bool
	seen   map[string]bool
}

func (r *registering) PollInstall(ctx context.Context, req runbooks.SensorInstallRequest, h string) (runbooks.SensorInstallStatus, error) {
	st, err := r.SensorInstaller.PollInstall(ctx, req, h)
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, res := range st.Hosts {
		for _, host := range req.Hosts {
			if host.ID != res.HostID || !res.OK || r.never[host.Name] || r.seen[host.ID] {
				continue
			}
			r.seen[host.ID] = true
			r.falcon.AddDevice(falcontest.Device{ID: "dev-" + host.Name, Hostname: host.Name, InstanceID: host.ID, AccountID: host.Account, AgentVersion: "7.20.17706",
				KernelVersion: "6.8.0-1017-azure", LastSeen: "2026-12-06T22:00:00Z", Groups: []string{"hg-prod"},
				Prevention: "pp-prod", SensorUpdate: "sup-prod"})
		}
	}
	return st, err
}

// cloudDeployRig is one engine deploying to Azure VMs (azuretest, the real
// armcompute client), validating against the Falcon fake (the real gofalcon
// client) and posting through the real notifier to the sandbox Slack, every
// component logging into one buffer.
type cloudDeployRig struct {
	t       *testing.T
	clock   *testkit.Clock
	azure   *azuretest.Server
	falcon  *falcontest.Server
	inst    *registering
	engine  *runbooks.Engine
	sb      *sandbox.Server
	channel string
	logs    *lockedBuffer
	tenant  runbooks.Tenant
}

func newCloudDeployRig(t *testing.T, vms ...string) *cloudDeployRig {
	t.Helper()
	ctx := context.Background()
	r := &cloudDeployRig{t: t, clock: testkit.NewClock(start), logs: &lockedBuffer{}}
	log := slog.New(slog.NewTextHandler(r.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r.azure = azuretest.New(t)
	for _, n := range vms {
		r.azure.AddVM(azuretest.VM{Subscription: deploySub, ResourceGroup: "rg-app", Name: n, Tags: map[string]string{"env": "prod"},
			OSName: "ubuntu", OSVersion: "22.04", Agent: "Ready", AgentVersion: "2.10.0.8"})
	}
	reads := 0
	az, err := azure.New(azure.Config{Credential: azuretest.Credential{}, Endpoint: r.azure.URL,
		Settings: azsettings.Settings{PollInterval: time.Millisecond}, Now: r.clock.Now, Log: log,
		Sensor: azure.SensorInstall{Script: "#!/bin/sh\nexec /opt/falcon/install.sh --cid=\"$FALCON_CID\"\n",
			CID: func(context.Context) (string, error) { reads++; return deployCID, nil }}})
	if err != nil {
		t.Fatal(err)
	}
	r.falcon = falcontest.New(t, "deploy-client", "deploy-secret-0123456789")
	r.falcon.SetUpdatePolicy("sup-prod", "7.20.17706")
	console, err := falcon.New(falcon.Config{ClientID: r.falcon.ClientID, ClientSecret: r.falcon.ClientSecret, BaseURL: r.falcon.URL, Clock: r.clock, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	r.inst = &registering{SensorInstaller: az, falcon: r.falcon, never: map[string]bool{}, seen: map[string]bool{}}

	tn := gateTenant()
	fleet, err := sim.New(sim.Config{Seed: gateSeed, Tenants: []runbooks.Tenant{tn}, HostsPerTarget: 1, Clock: r.clock})
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range tn.Environments {
		if e.Name == "production" {
			tn.Environments[i].Targets = []runbooks.Target{{Cloud: runbooks.Azure, Account: deploySub, Groups: []string{"rg-app"}, Selector: map[string]string{"env": "prod"}}}
		}
	}
	r.tenant = tn
	svc := &edr.Service{Tenants: []runbooks.Tenant{tn}, Inventory: az, Fleet: console, Clock: r.clock, Log: log,
		Tiers: map[string]edr.Tier{"production": {Env: "production", MinVersion: "7.14", HostGroup: "hg-prod", PreventionPolicy: "pp-prod", SensorUpdatePolicy: "sup-prod"}}}

	opts := sandbox.DefaultOptions()
	opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	r.sb = sandbox.New(opts)
	if _, err := r.sb.Start(""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.sb.Close() })
	r.channel = opts.Channels[0].ID
	st := backends()[0].open(t)
	n := bot.NewNotifier(slack.New(opts.BotToken, slack.OptionAPIURL(r.sb.APIURL())), st, bot.NotifierOptions{Channel: r.channel,
		UpdateInterval: 10 * time.Millisecond, Clock: r.clock, Log: log, Tenants: bot.TenantNames([]runbooks.Tenant{tn})})
	nctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- n.Run(nctx) }()
	t.Cleanup(func() { cancel(); <-done })

	deps := runbooks.Deps{Store: st, Clock: r.clock, Inventory: fleet, Sensors: fleet, Backups: fleet, Patcher: fleet,
		Health: fleet, Pager: fleet, Directory: fleet, Chat: n, Log: log,
		Reporter: &reports.Dir{Path: t.TempDir(), Now: r.clock.Now}, SensorInstaller: r.inst, SensorFleet: svc}
	r.engine, err = runbooks.New(runbooks.Config{Replica: "replica-0", Workers: 4, LeaseTTL: 30 * time.Second,
		SensorDeploy: runbooks.SensorDeploySettings{BatchSize: 2, Concurrency: 2, RegisterWait: 10 * time.Minute}}, deps, []runbooks.Tenant{tn}, testPipeline())
	if err != nil {
		t.Fatal(err)
	}
	if reads != 0 {
		t.Fatal("the CID secret was read at start")
	}
	return r
}

// deploy requests a production deployment of coverage's gaps, approves it
// by two people and ticks until it stops at want.
func (r *cloudDeployRig) deploy(ctx context.Context, want runbooks.SensorDeployStatus) *runbooks.SensorDeploy {
	r.t.Helper()
	d, err := r.engine.RequestSensorDeploy(ctx, runbooks.SensorDeployRequest{Tenant: r.tenant.Name, Env: "production",
		Requester: requester, Reason: "PCI 5.2: new Azure VMs without EDR"})
	if err != nil {
		r.t.Fatal(err)
	}
	for _, who := range []string{alice, bob} {
		cur, _ := r.engine.GetSensorDeploy(ctx, d.ID)
		if _, err := r.engine.Decide(ctx, runbooks.Decision{Cycle: d.ID, Action: runbooks.Approve, Actor: who,
			SeenRevision: cur.Revision, InteractionID: d.ID + "-" + who}); err != nil {
			r.t.Fatal(err)
		}
	}
	for range 40 {
		if err := r.engine.Tick(ctx); err != nil {
			r.t.Fatalf("tick: %v", err)
		}
		cur, err := r.engine.GetSensorDeploy(ctx, d.ID)
		if err != nil {
			r.t.Fatal(err)
		}
		if cur.Status == want && len(cur.Outbox) == 0 && cur.Notified == cur.Revision {
			return cur
		}
		r.clock.Advance(time.Minute)
	}
	cur, _ := r.engine.GetSensorDeploy(ctx, d.ID)
	r.t.Fatalf("deployment %s never reached %s: status %s, failure %+v, last error %s", d.ID, want, cur.Status, cur.Failure, cur.LastError)
	return nil
}

// slackText waits until the channel holds text and returns all of it.
func (r *cloudDeployRig) slackText(text string) string {
	r.t.Helper()
	var all string
	testkit.Eventually(r.t, 20*time.Second, "Slack to show "+text, func() bool {
		b, _ := json.Marshal(r.sb.Messages(r.channel))
		all = string(b)
		return strings.Contains(all, text)
	})
	return all
}

// noSecret fails when the CID is in the logs, the deployment's audit
// events or anything posted to Slack.
func (r *cloudDeployRig) noSecret(ctx context.Context, id, slackAll string) {
	r.t.Helper()
	evs, err := r.engine.SensorDeployEvents(ctx, id)
	if err != nil {
		r.t.Fatal(err)
	}
	audit, _ := json.Marshal(evs)
	for what, text := range map[string]string{"the logs": r.logs.String(), "the audit events": string(audit), "Slack": slackAll} {
		if strings.Contains(text, deployCID) {
			r.t.Errorf("the CID is in %s", what)
		}
	}
	if len(evs) == 0 || r.logs.String() == "" {
		r.t.Fatal("nothing captured: the check would pass vacuously")
	}
}

// TestSensorDeployAzureCIDNeverInLogsAuditOrSlack: a production deployment
// of three new Azure VMs coverage finds without a Falcon sensor, approved
// by two people, creates one managed run command per VM (once each), the
// CID travelling only as a protected parameter; the sensors then register
// in the Falcon fake and validation passes. The CID is in none of the
// logs, the audit events or the Slack channel.
func TestSensorDeployAzureCIDNeverInLogsAuditOrSlack(t *testing.T) {
	ctx := context.Background()
	r := newCloudDeployRig(t, "vm-new-1", "vm-new-2", "vm-new-3")
	d := r.deploy(ctx, runbooks.DeployCompleted)
	if len(d.Hosts) != 3 || len(d.Batches) != 2 {
		t.Fatalf("deployment of %d hosts in %d batches, want 3 in 2", len(d.Hosts), len(d.Batches))
	}
	for _, h := range d.Hosts {
		rcs := r.azure.RunCommands(h.Host.ID)
		if len(rcs) != 1 || h.Result != "ok" {
			t.Errorf("%s: %d run commands, result %q; want one, ok", h.Host.Name, len(rcs), h.Result)
		}
		for _, rc := range rcs {
			if rc.Protected[azure.ParamCID] != deployCID {
				t.Errorf("%s: protected parameters %v", h.Host.Name, rc.Protected)
			}
		}
	}
	if n := r.azure.CountSuffix("PUT", ""); n != 3 {
		t.Errorf("%d PUTs to ARM for 3 VMs, want one run command each: %v", n, r.azure.Requests())
	}
	all := r.slackText("validated on 3 host(s)")
	r.noSecret(ctx, d.ID, all)
}

// TestSensorDeployValidatesAgainstFalconNamesHostsNeverRegistered: the
// deployment's hosts are validated against the Falcon fake through
// gofalcon (registered, host group, prevention and sensor-update policies,
// version, not RFM); one VM whose sensor installed but never registers
// within register_wait fails the deployment, naming that host and the fix.
func TestSensorDeployValidatesAgainstFalconNamesHostsNeverRegistered(t *testing.T) {
	ctx := context.Background()
	r := newCloudDeployRig(t, "vm-new-1", "vm-lost-2")
	r.inst.never["vm-lost-2"] = true
	d := r.deploy(ctx, runbooks.DeployFailed)
	if d.Failure == nil || d.Failure.Phase != runbooks.Phase(runbooks.DeployValidating) {
		t.Fatalf("failure %+v, want one in validation", d.Failure)
	}
	var named []string
	for _, f := range d.Failure.Findings {
		named = append(named, f.HostName)
		if f.HostName == "vm-lost-2" && (!strings.Contains(f.Reason, "fix:") || !strings.Contains(f.Source, "falcon")) {
			t.Errorf("finding %+v: want the check, the fix and falcon as its source", f)
		}
	}
	if strings.Join(named, ",") != "vm-lost-2" {
		t.Errorf("findings name %v, want only vm-lost-2", named)
	}
	if waited := d.Failure.At.Sub(d.Installed); waited < 10*time.Minute {
		t.Errorf("failed %s after the install, before register_wait", waited)
	}
	all := r.slackText("vm-lost-2")
	r.noSecret(ctx, d.ID, all)
}
