package aws

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/aws/awstest"
)

// TestTerraformFormatted runs `terraform fmt -check` on deploy/terraform
// and checks that the roles there use the policy files the policy test
// reads (so the test covers what is deployed).
func TestTerraformFormatted(t *testing.T) {
	tf := map[string]string{}
	names, _ := filepath.Glob(filepath.Join(terraformDir, "*.tf"))
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		tf[filepath.Base(n)] = string(b)
	}
	if !strings.Contains(tf["bot_role.tf"], `templatefile("${path.module}/policy-bot.json"`) ||
		!strings.Contains(tf["tenant_role.tf"], `file("${path.module}/policy-tenant.json")`) {
		t.Error("the IAM roles no longer use policy-bot.json / policy-tenant.json")
	}
	if !strings.Contains(tf["baseline.tf"], `resource "aws_ssm_patch_baseline"`) {
		t.Error("baseline.tf has no aws_ssm_patch_baseline")
	}
	bin, err := exec.LookPath("terraform")
	if err != nil {
		if os.Getenv(awstest.RequireEnv) != "" {
			t.Fatalf("terraform not found and %s is set", awstest.RequireEnv)
		}
		t.Skip("terraform not found")
	}
	empty := filepath.Join(t.TempDir(), "terraformrc")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "fmt", "-check", "-diff", "-recursive", terraformDir)
	cmd.Env = append(os.Environ(), "TF_CLI_CONFIG_FILE="+empty)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("terraform fmt -check: %v\n%s", err, out)
	}
}
