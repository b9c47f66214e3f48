package terraform

import (
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// Options configure a Checker. Zero values take the defaults.
type Options struct {
	// TerraformPath is the terraform binary; default "terraform" on PATH.
	TerraformPath string
	// Concurrency bounds how many workspaces run at once; default 4.
	Concurrency int
	// Timeout bounds one workspace's init+plan+show; default 10 minutes.
	Timeout time.Duration
	// Env is added to the process environment of every terraform run
	// (e.g. TF_CLI_CONFIG_FILE, AWS_PROFILE).
	Env map[string]string
	// IncludeChanges also reports the plan's resource_changes.
	IncludeChanges bool
	// IncludeValues adds before/after values of changed paths (sensitive
	// ones masked). Off by default: reports carry paths only.
	IncludeValues bool
	Log           *slog.Logger
}

// Checker runs drift checks over workspaces.
type Checker struct {
	opts Options
	// now is the clock for durations, a field so tests can replace it.
	now func() time.Time
}

// New returns a Checker with defaults filled in.
func New(opts Options) *Checker {
	if opts.TerraformPath == "" {
		opts.TerraformPath = "terraform"
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 10 * time.Minute
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	return &Checker{opts: opts, now: time.Now}
}

// Check checks every workspace, at most Concurrency at a time, and returns one
// Result per workspace in the order given. It never returns a workspace as
// clean unless its plan ran and exited 0.
func (c *Checker) Check(ctx context.Context, ws []Workspace) []Result {
	results := make([]Result, len(ws))
	sem := make(chan struct{}, c.opts.Concurrency)
	var wg sync.WaitGroup
	for i, w := range ws {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			// Queued work is reported, not dropped, so a digest shows it failed.
			results[i] = Result{Workspace: w, Status: StatusFailed, Error: "not checked: " + ctx.Err().Error()}
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[i] = c.checkOne(ctx, w)
		}()
	}
	wg.Wait()
	return results
}

// env builds the full environment for terraform. tfexec replaces the process
// environment when one is set, so ours is merged onto os.Environ, minus the
// variables tfexec refuses to have set by hand.
func (c *Checker) env() map[string]string {
	if len(c.opts.Env) == 0 {
		return nil
	}
	env := make(map[string]string)
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for k, v := range c.opts.Env {
		env[k] = v
	}
	for _, k := range tfexec.ProhibitedEnv(env) {
		delete(env, k)
	}
	return env
}
