package terraform

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-exec/tfexec"
)

// realTerraform returns the terraform binary, skipping only when it is absent
// and the run does not demand every service (PATCHGATE_REQUIRE_SERVICES).
func realTerraform(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("terraform")
	if err != nil {
		if os.Getenv("PATCHGATE_REQUIRE_SERVICES") == "" {
			t.Skip("terraform not on PATH")
		}
		t.Fatalf("terraform required: %v", err)
	}
	return bin
}

// offlineEnv points terraform at an empty CLI config, so it neither warns
// about a missing ~/.terraformrc nor reads a developer's real one.
func offlineEnv(t *testing.T) map[string]string {
	t.Helper()
	rc := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(rc, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return map[string]string{"TF_CLI_CONFIG_FILE": rc, "CHECKPOINT_DISABLE": "1"}
}

func writeConfig(t *testing.T, hcl string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// terraform_data reads back exactly what state holds, so it cannot drift on
// refresh. What a refresh-only plan does change offline is a root output whose
// value moved since the last apply: terraform exits 2 for it, which drives the
// real exit-code, plan-file and show -json path end to end. Provider-specific
// resource_drift is covered by the recorded fixtures.
const dataConfig = `
variable "release" {
  type    = string
  default = "v1"
}

resource "terraform_data" "release" {
  input = var.release
}

output "release" {
  value = terraform_data.release.output
}

output "requested" {
  value = var.release
}
`

func TestRealTerraformRefreshOnlyPlan(t *testing.T) {
	bin := realTerraform(t)
	env := offlineEnv(t)
	dir := writeConfig(t, dataConfig)
	applyWith(t, bin, dir, env, "release=v1")

	c := New(Options{TerraformPath: bin, Env: env, IncludeChanges: true, Concurrency: 1}) // one at a time: both share one state file and its lock
	res := c.Check(context.Background(), []Workspace{
		{Name: "same", Dir: dir, Vars: map[string]string{"release": "v1"}},
		{Name: "moved", Dir: dir, Vars: map[string]string{"release": "v2"}},
	})

	same, moved := res[0], res[1]
	if same.Status != StatusClean || same.Error != "" || len(same.Drift)+len(same.Changes)+len(same.Outputs) != 0 {
		t.Errorf("same = %+v, want clean", same)
	}
	if moved.Status != StatusDrift || moved.Error != "" {
		t.Fatalf("moved = %+v, want drift (exit 2)", moved)
	}
	if !reflect.DeepEqual(moved.Outputs, []string{"requested"}) {
		t.Errorf("outputs = %v, want [requested]", moved.Outputs)
	}
	// terraform_data does not drift and refresh-only plans no resource changes.
	if len(moved.Drift) != 0 || len(moved.Changes) != 0 {
		t.Errorf("drift %+v changes %+v, want none", moved.Drift, moved.Changes)
	}
	if moved.Duration <= 0 {
		t.Errorf("duration = %s", moved.Duration)
	}
}

func TestRealTerraformBrokenHCLIsFailed(t *testing.T) {
	bin := realTerraform(t)
	dir := writeConfig(t, `resource "terraform_data" "x" { input = `)
	res := New(Options{TerraformPath: bin, Env: offlineEnv(t)}).Check(context.Background(), []Workspace{{Name: "broken", Dir: dir}})
	if res[0].Status != StatusFailed {
		t.Fatalf("broken HCL = %+v, want failed", res[0])
	}
	if !strings.Contains(res[0].Error, "terraform init") || !strings.Contains(res[0].Error, "main.tf") {
		t.Errorf("error does not say what failed where: %s", res[0].Error)
	}
}

// terraform prints a variable's value when its validation fails; the report
// must not carry it on to Slack.
func TestRealTerraformErrorDoesNotLeakSecretVar(t *testing.T) {
	bin := realTerraform(t)
	dir := writeConfig(t, `
variable "db_password" {
  type = string
  validation {
    condition     = length(var.db_password) < 3
    error_message = "Password policy check failed."
  }
}
`)
	secret := "hunter2-s3cret-value"
	res := New(Options{TerraformPath: bin, Env: offlineEnv(t)}).Check(context.Background(),
		[]Workspace{{Name: "v", Dir: dir, Vars: map[string]string{"db_password": secret}}})
	if res[0].Status != StatusFailed || !strings.Contains(res[0].Error, "Password policy check failed") {
		t.Fatalf("got %+v, want failed with the validation message", res[0])
	}
	if strings.Contains(res[0].Error, secret) {
		t.Errorf("error leaks the variable's value: %s", res[0].Error)
	}
}

func applyWith(t *testing.T, bin, dir string, env map[string]string, vars ...string) {
	t.Helper()
	tf, err := tfexec.NewTerraform(dir, bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := tf.SetEnv(New(Options{Env: env}).env()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := tf.Init(ctx); err != nil {
		t.Fatal(err)
	}
	var opts []tfexec.ApplyOption
	for _, v := range vars {
		opts = append(opts, tfexec.Var(v))
	}
	if err := tf.Apply(ctx, opts...); err != nil {
		t.Fatal(err)
	}
}
