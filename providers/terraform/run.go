package terraform

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// checkOne runs init, a refresh-only plan and show for one workspace. Every
// way out that is not a finished plan is StatusFailed.
func (c *Checker) checkOne(ctx context.Context, w Workspace) Result {
	start := c.now()
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()

	res := Result{Workspace: w}
	drifted, err := c.plan(ctx, w, &res)
	res.Duration = c.now().Sub(start)
	log := c.opts.Log.With("workspace", w.Name, "tenant", w.Tenant, "account", w.Account)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			err = fmt.Errorf("timed out after %s: %w", c.opts.Timeout, err)
		}
		res.Status = StatusFailed
		res.Error = newRedactor(w).clean(err.Error())
		res.Drift, res.Changes, res.Outputs = nil, nil, nil
		log.Warn("drift check failed", "error", res.Error)
		return res
	}
	res.Status = StatusClean
	if drifted {
		res.Status = StatusDrift
	}
	log.Info("drift check done", "status", res.Status, "drift", len(res.Drift), "duration", res.Duration)
	return res
}

// plan fills res with the plan's drift and reports terraform's
// -detailed-exitcode verdict (true for exit 2).
func (c *Checker) plan(ctx context.Context, w Workspace, res *Result) (bool, error) {
	tf, err := c.terraform(w)
	if err != nil {
		return false, err
	}
	if err := c.init(ctx, tf, w); err != nil {
		return false, fmt.Errorf("terraform init in %s: %w", w.Dir, err)
	}

	tmp, err := os.MkdirTemp("", "patchgate-plan-")
	if err != nil {
		return false, fmt.Errorf("plan file directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	planFile := filepath.Join(tmp, "drift.tfplan")

	opts := []tfexec.PlanOption{tfexec.RefreshOnly(true), tfexec.Out(planFile)}
	for _, k := range sortedStringKeys(w.Vars) {
		opts = append(opts, tfexec.Var(k+"="+w.Vars[k]))
	}
	for _, f := range w.VarFiles {
		opts = append(opts, tfexec.VarFile(f))
	}
	// tfexec always passes -detailed-exitcode and maps exit 2 to true.
	drifted, err := tf.Plan(ctx, opts...)
	if err != nil {
		return false, fmt.Errorf("terraform plan -refresh-only in %s: %w", w.Dir, err)
	}
	p, err := tf.ShowPlanFile(ctx, planFile)
	if err != nil {
		return false, fmt.Errorf("terraform show -json of the plan in %s: %w", w.Dir, err)
	}
	res.Drift, res.Changes = fromPlan(p, ParseOptions{IncludeValues: c.opts.IncludeValues})
	if !c.opts.IncludeChanges {
		res.Changes = nil
	}
	res.Outputs = changedOutputs(p)
	return drifted, nil
}

func (c *Checker) terraform(w Workspace) (*tfexec.Terraform, error) {
	bin, err := exec.LookPath(c.opts.TerraformPath)
	if err != nil {
		return nil, fmt.Errorf("find terraform binary %q: %w", c.opts.TerraformPath, err)
	}
	tf, err := tfexec.NewTerraform(w.Dir, bin)
	if err != nil {
		return nil, fmt.Errorf("terraform in %s: %w", w.Dir, err)
	}
	if env := c.env(); env != nil {
		if err := tf.SetEnv(env); err != nil {
			return nil, fmt.Errorf("terraform environment: %w", err)
		}
	}
	return tf, nil
}

// init skips `terraform init` when the directory already has a .terraform
// directory: re-running it every morning would re-download providers and
// could migrate a backend nobody asked to migrate.
func (c *Checker) init(ctx context.Context, tf *tfexec.Terraform, w Workspace) error {
	if fi, err := os.Stat(filepath.Join(w.Dir, ".terraform")); err == nil && fi.IsDir() {
		return nil
	}
	var opts []tfexec.InitOption
	for _, k := range sortedStringKeys(w.BackendConfig) {
		opts = append(opts, tfexec.BackendConfig(k+"="+w.BackendConfig[k]))
	}
	return tf.Init(ctx, opts...)
}

func sortedStringKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
