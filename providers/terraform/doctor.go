package terraform

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/hashicorp/terraform-exec/tfexec"

	"github.com/patchgate/patchgate/doctor"
	"github.com/patchgate/patchgate/runbooks/drift"
)

// Checks are the probes of `patchgate doctor`: the terraform binary runs,
// and each workspace's `terraform init` succeeds (providers and backend
// reachable with the bot's credentials). Init writes its working files to a
// temporary TF_DATA_DIR, so the workspace's own .terraform is left as the
// morning drift check expects it. A workspace with a recorded plan is
// checked for a readable file instead.
func (d DriftChecker) Checks(ws []drift.Workspace) []doctor.Check {
	checks := []doctor.Check{{Name: "terraform: binary", Run: func(ctx context.Context) (string, error) {
		tf, err := d.terraform(Workspace{Dir: os.TempDir()})
		if err != nil {
			return "", doctor.Fix(err, "install terraform or set drift.terraform_path")
		}
		v, _, err := tf.Version(ctx, true)
		if err != nil {
			return "", doctor.Fix(fmt.Errorf("terraform version: %w", err), "check drift.terraform_path names a working terraform binary")
		}
		return "terraform " + v.String(), nil
	}}}
	for _, w := range ws {
		name := "terraform: init " + w.Name
		if w.PlanJSON != "" {
			checks = append(checks, doctor.Check{Name: "terraform: recorded plan " + w.Name, Run: func(context.Context) (string, error) {
				if _, err := readCapped(w.PlanJSON); err != nil {
					return "", doctor.Fix(fmt.Errorf("read %s: %w", w.PlanJSON, err), "point drift.workspaces plan_json at the CI artifact of `terraform show -json`")
				}
				return "readable", nil
			}})
			continue
		}
		checks = append(checks, doctor.Check{Name: name, Timeout: d.opts.Timeout, Run: func(ctx context.Context) (string, error) {
			return d.initOnly(ctx, Workspace{Name: w.Name, Dir: w.Dir, BackendConfig: w.BackendConfig})
		}})
	}
	return checks
}

func (d DriftChecker) initOnly(ctx context.Context, w Workspace) (string, error) {
	if fi, err := os.Stat(w.Dir); err != nil || !fi.IsDir() {
		return "", doctor.Fixf("set drift.workspaces dir to the Terraform root module", "workspace directory %s is missing", w.Dir)
	}
	tf, err := d.terraform(w)
	if err != nil {
		return "", doctor.Fix(err, "install terraform or set drift.terraform_path")
	}
	data, err := os.MkdirTemp("", "patchgate-doctor-tf-")
	if err != nil {
		return "", fmt.Errorf("temporary TF_DATA_DIR: %w", err)
	}
	defer os.RemoveAll(data)
	env := d.env()
	if env == nil {
		env = map[string]string{}
		for _, kv := range os.Environ() {
			if k, v, ok := strings.Cut(kv, "="); ok {
				env[k] = v
			}
		}
		for _, k := range tfexec.ProhibitedEnv(env) {
			delete(env, k)
		}
	}
	env["TF_DATA_DIR"] = data
	if err := tf.SetEnv(env); err != nil {
		return "", fmt.Errorf("terraform environment: %w", err)
	}
	var opts []tfexec.InitOption
	for _, k := range sortedStringKeys(w.BackendConfig) {
		opts = append(opts, tfexec.BackendConfig(k+"="+w.BackendConfig[k]))
	}
	if err := tf.Init(ctx, opts...); err != nil {
		return "", doctor.Fix(fmt.Errorf("terraform init in %s: %w", w.Dir, err),
			"check the backend settings (drift.workspaces backend_config), the bot's credentials for the state backend, and provider downloads (mirror or TF_CLI_CONFIG_FILE)")
	}
	return "init ok in " + w.Dir, nil
}
