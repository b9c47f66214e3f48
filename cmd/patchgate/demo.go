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

	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/reports"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state/boltstore"
)

// The demo's people (Slack member IDs in a real workspace).
const (
	demoRequester = "U0REQUEST1" // starts the cycles; also a production approver
	demoSRE       = "U0SRE00001" // approves nonprod and staging
	demoCAB1      = "U0CAB00001" // production change-advisory approvers
	demoCAB2      = "U0CAB00002"
	demoOutsider  = "U0OUTSIDE1" // not an approver anywhere
)

type demoOptions struct {
	statePath string
	soak      time.Duration
	opTime    time.Duration
	out       io.Writer
}

func newDemoCmd() *cobra.Command {
	var o demoOptions
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run three tenants' patch cycles on a simulated fleet with an embedded store",
		Long: `demo runs the whole engine on embedded defaults: a bbolt state file, the
simulated multi-cloud fleet (3 credit unions on AWS, Azure and GCP, with
unregistered agents and a RHEL host whose EDR sensor would break on the new
kernel), and simulated people who approve, get refused, fix and retry. Every
step is printed as it would appear in the cycle's Slack thread.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.out = cmd.OutOrStdout()
			return runDemo(cmd.Context(), o)
		},
	}
	cmd.Flags().StringVar(&o.statePath, "state", "", "bbolt state file (default: a new file in a temporary directory)")
	cmd.Flags().DurationVar(&o.soak, "soak", 5*time.Second, "staging soak (24h in the default pipeline)")
	cmd.Flags().DurationVar(&o.opTime, "op-time", 700*time.Millisecond, "how long a simulated backup or patch takes")
	return cmd
}

func runDemo(ctx context.Context, o demoOptions) error {
	// The engine's chat and the simulated people print from different
	// goroutines.
	o.out = &syncWriter{w: o.out}
	dir, err := os.MkdirTemp("", "patchgate-demo-")
	if err != nil {
		return err
	}
	if o.statePath == "" {
		o.statePath = filepath.Join(dir, "state.db")
	}
	st, err := boltstore.Open(o.statePath)
	if err != nil {
		return err
	}
	defer st.Close()
	fleetCfg := sim.DemoConfig()
	fleetCfg.OpDuration = o.opTime
	fleet, err := sim.New(fleetCfg)
	if err != nil {
		return err
	}
	pipeline := runbooks.DefaultPipeline()
	for i := range pipeline {
		pipeline[i].Approvers = []string{demoSRE}
		if pipeline[i].Env == "staging" {
			pipeline[i].Soak = o.soak
		}
		if pipeline[i].Env == "production" {
			pipeline[i].Approvers = []string{demoCAB1, demoCAB2, demoRequester}
		}
	}
	console := newConsoleChat(o.out)
	eng, err := runbooks.New(runbooks.Config{Replica: "demo", Tick: 200 * time.Millisecond},
		runbooks.Deps{Store: st, Inventory: fleet, Sensors: fleet, Backups: fleet, Patcher: fleet,
			Health: fleet, Pager: fleet, Directory: fleet, Chat: console,
			Reporter: &reports.Dir{Path: filepath.Join(dir, "reports")},
			Log:      slog.New(slog.NewTextHandler(io.Discard, nil))},
		fleetCfg.Tenants, pipeline)
	if err != nil {
		return err
	}
	fmt.Fprintf(o.out, "patchgate demo: state %s, %d simulated hosts in 3 tenants on aws, azure and gcp\n\n", o.statePath, fleet.Size())

	ctx, cancel := context.WithTimeout(ctx, 3*time.Minute)
	defer cancel()
	runCtx, stopEngine := context.WithCancel(ctx)
	engineDone := make(chan error, 1)
	go func() { engineDone <- eng.Run(runCtx) }()

	people := &demoPeople{e: eng, fleet: fleet, out: o.out, seen: map[string]bool{}}
	for _, t := range fleetCfg.Tenants {
		if _, err := eng.Start(ctx, t.Name, demoRequester); err != nil {
			stopEngine()
			return err
		}
	}
	err = people.run(ctx)
	stopEngine()
	if rerr := <-engineDone; err == nil {
		err = rerr
	}
	if err != nil {
		return err
	}
	return demoSummary(ctx, eng, st, fleet, o.out)
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
