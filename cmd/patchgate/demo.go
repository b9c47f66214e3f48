package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/sim"
)

// The demo's people, as the sandbox's default workspace names them.
const (
	demoRequester = "U0REQUEST1" // rita: starts the cycles; a production approver too
	demoSRE       = "U0SRE00001" // sam, in @sre: approves nonprod and staging
	demoCAB1      = "U0CAB00001" // cara, in @change-advisory: production
	demoCAB2      = "U0CAB00002" // carl, in @change-advisory: production
	demoOutsider  = "U0OUTSIDE1" // otto: approver of nothing
	demoChannel   = "C0CYCLES01"
)

type demoOptions struct {
	statePath string
	listen    string
	soak      time.Duration
	opTime    time.Duration
	auto      bool
	out       io.Writer
	// ready, if set, is called with the page URL and the running parts
	// once the bot is connected (tests use it).
	ready func(url string, sb *sandbox.Server, a *app)
}

func newDemoCmd() *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run patchgate against a local Slack sandbox and a simulated fleet; open the printed URL",
		Long: `demo runs the whole bot on embedded defaults: a local Slack sandbox (a web
page where one person plays every role: requester, two change approvers, an
SRE and an outsider), the real Slack client over Socket Mode, the engine on a
bbolt file, and the simulated fleet: three credit unions on AWS, Azure and
GCP, with unregistered SSM agents at acme-cu and a RHEL host at bayview-cu
whose Falcon sensor would break on the new kernel.

Type "/patch start cascade-cu" in the page and approve the stages as the
people the user switcher offers. --auto plays the whole story itself through
the sandbox (commands, clicks, refusals, repairs) and exits when every cycle
is done.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.out = cmd.OutOrStdout()
			return runDemo(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.statePath, "state", "", "bbolt state file (default: a new file in a temporary directory)")
	cmd.Flags().StringVar(&o.listen, "listen", "127.0.0.1:8080", "address of the sandbox page")
	cmd.Flags().DurationVar(&o.soak, "soak", 2*time.Minute, "staging soak (24h in the default pipeline)")
	cmd.Flags().DurationVar(&o.opTime, "op-time", 3*time.Second, "how long a simulated backup or patch takes")
	cmd.Flags().BoolVar(&o.auto, "auto", false, "play the demo story automatically and exit")
	return cmd
}

func runDemo(ctx context.Context, o demoOptions) error {
	// The people and the bot print from different goroutines.
	o.out = &syncWriter{w: o.out}
	dir, err := os.MkdirTemp("", "patchgate-demo-")
	if err != nil {
		return err
	}
	if o.statePath == "" {
		o.statePath = filepath.Join(dir, "state.db")
	}
	sbOpts := sandbox.DefaultOptions()
	sbOpts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	sb := sandbox.New(sbOpts)
	url, err := sb.Start(o.listen)
	if err != nil {
		return fmt.Errorf("start the sandbox on %s: %w", o.listen, err)
	}
	defer sb.Close()
	dailyYAML, hw, err := demoDaily(dir, time.Now())
	if err != nil {
		return fmt.Errorf("seed the demo's certificates and drift: %w", err)
	}
	snow, err := sim.StartServiceNow(demoSNUser, demoSNPassword)
	if err != nil {
		return fmt.Errorf("start the simulated ServiceNow: %w", err)
	}
	defer snow.Close()
	cfg, err := demoConfig(o, sb.APIURL(), dailyYAML+demoChanges(snow.URL)+demoSections(dir))
	if err != nil {
		return err
	}
	secrets := map[string]string{"PATCHGATE_DEMO_BOT_TOKEN": sbOpts.BotToken, "PATCHGATE_DEMO_APP_TOKEN": sbOpts.AppToken,
		"PATCHGATE_DEMO_SN_PASSWORD": demoSNPassword}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		storyErr error
		storyWG  sync.WaitGroup
	)
	w := wiring{
		log:       slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		lookup:    func(k string) (string, bool) { v, ok := secrets[k]; return v, ok },
		reports:   filepath.Join(dir, "reports"),
		simFaults: sim.DemoFaults(),
		daily:     hw,
		ready: func(a *app) {
			fmt.Fprintf(o.out, "patchgate demo: %d simulated hosts in 3 credit unions on aws, azure and gcp; state %s\n", a.fleet.Size(), o.statePath)
			fmt.Fprintf(o.out, "Slack sandbox: %s  (switch users at the top; type /patch help)\n", url)
			fmt.Fprintf(o.out, "Simulated ServiceNow (change records, linked from each cycle's message): %s\n\n", snow.URL)
			if o.ready != nil {
				o.ready(url, sb, a)
			}
			if !o.auto {
				return
			}
			storyWG.Add(1)
			go func() {
				defer storyWG.Done()
				defer cancel()
				p := &slackPeople{sb: sb, a: a, out: o.out, seen: map[string]bool{}, read: map[string]int{}}
				storyErr = p.run(ctx)
			}()
		},
	}
	err = serve(ctx, cfg, w)
	storyWG.Wait()
	if storyErr != nil {
		return storyErr
	}
	return err
}

// demoConfig is the demo's configuration, written as YAML and validated
// like any operator's file.
func demoConfig(o demoOptions, apiURL, extra string) (*config.Config, error) {
	fleet := sim.DemoConfig()
	window, freezes := demoGovernance(time.Now())
	yaml := fmt.Sprintf(`store: {backend: bolt, bolt: {path: %q}}
engine: {tick: 250ms, lease_ttl: 30s, step_timeout: 10s}
providers: {kind: sim, sim: {seed: %d, hosts_per_target: 4, op_duration: %s}}
pipeline:
  - {env: nonprod, groups: [S0SRE], emergency_approvers: [S0SRE], min_approvals: 1, sensor_gate: true}
  - {env: staging, groups: [S0SRE], emergency_approvers: [S0SRE], min_approvals: 1, soak: %s, sensor_gate: true, health_gate: true}
  - {env: production, approvers: [%[5]s], groups: [S0CHANGEADV], emergency_approvers: [%[5]s, S0CHANGEADV], min_approvals: 2, four_eyes: true, health_gate: true, sensor_gate: true, require_change_approval: true, window: %q}
slack:
  transport: socket
  bot_token: env:PATCHGATE_DEMO_BOT_TOKEN
  app_token: env:PATCHGATE_DEMO_APP_TOKEN
  channel: %s
  api_url: %q
  update_interval: 500ms
%s%s%s`, o.statePath, fleet.Seed, o.opTime, o.soak, demoRequester, window, demoChannel, apiURL, tenantsYAML(fleet.Tenants), freezes, extra)
	return config.Parse("demo.yaml", []byte(yaml))
}

// The simulated ServiceNow's integration user.
const (
	demoSNUser     = "patchgate.demo"
	demoSNPassword = "demo-only-password"
)

// demoChanges is the demo's change_records section: every cycle keeps a
// change record in the simulated ServiceNow, and production waits for its
// approval there (the simulated CAB approves when asked).
func demoChanges(url string) string {
	return fmt.Sprintf("change_records:\n  platform: servicenow\n  poll: 2s\n  servicenow: {url: %q, username: %s, password: env:PATCHGATE_DEMO_SN_PASSWORD}\n", url, demoSNUser)
}

// syncWriter serialises writes from several goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
