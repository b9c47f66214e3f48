package aws

import (
	"encoding/json"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const terraformDir = "../../deploy/terraform"

// iamPrefix maps an SDK service package to its IAM action prefix.
var iamPrefix = map[string]string{
	"ec2": "ec2", "ssm": "ssm", "rds": "rds", "iam": "iam", "sts": "sts", "s3": "s3",
	"ssoadmin": "sso", "identitystore": "identitystore", "kms": "kms", "sqs": "sqs", "configservice": "config",
}

// iamName maps an SDK operation to the IAM action that authorises it, where
// the two differ.
var iamName = map[string]string{"s3:ListObjectsV2": "s3:ListBucket"}

// impliedActions are what IAM also checks for a call: tag-on-create needs
// the tagging action, and SSE-KMS objects need the key.
var impliedActions = map[string][]string{
	"ec2:CreateImage": {"ec2:CreateTags"},
	// Tagging the replace-root-volume task on create needs ec2:CreateTags.
	"ec2:CreateReplaceRootVolumeTask": {"ec2:CreateTags"},
	"rds:CreateDBSnapshot":            {"rds:AddTagsToResource"},
	"rds:CreateDBClusterSnapshot":     {"rds:AddTagsToResource"},
	"s3:PutObject":                    {"kms:GenerateDataKey", "s3:PutObjectRetention"},
	"s3:GetObject":                    {"kms:Decrypt", "s3:GetObjectVersion"}, // the anchor reads by VersionId
}

// iamNames are the calls whose IAM action is not named after the API
// operation (Service Authorization Reference for Amazon S3).
var iamNames = map[string]string{
	"s3:GetBucketEncryption":        "s3:GetEncryptionConfiguration",
	"s3:GetObjectLockConfiguration": "s3:GetBucketObjectLockConfiguration",
	"s3:ListObjectVersions":         "s3:ListBucketVersions",
	"sqs:DeleteMessageBatch":        "sqs:DeleteMessage",
}

// scanned are the packages whose SDK calls the bot's policies must cover:
// this one and the remediation intake.
var scanned = []struct{ dir, path string }{
	{".", "github.com/patchgate/patchgate/providers/aws"},
	{"events", "github.com/patchgate/patchgate/providers/aws/events"},
}

// TestPolicyMatchesCode type-checks this package's non-test files, finds
// every AWS SDK client method (and paginator, presigner, role provider) it
// calls, and requires the least-privilege policies in deploy/terraform to
// grant exactly those actions: none missing, none never called.
func TestPolicyMatchesCode(t *testing.T) {
	called := map[string]string{}
	for _, p := range scanned {
		maps.Copy(called, sdkActions(t, p.dir, p.path))
	}
	want := map[string]bool{}
	for a := range called {
		if n, ok := iamName[a]; ok {
			a = n
		}
		want[a] = true
		for _, x := range impliedActions[a] {
			want[x] = true
		}
	}
	granted := map[string]bool{}
	for _, f := range []string{"policy-bot.json", "policy-tenant.json", "policy-intake.json", "policy-remediation-tenant.json"} {
		for _, a := range policyActions(t, filepath.Join(terraformDir, f)) {
			granted[a] = true
		}
	}
	for a := range want {
		if !granted[a] {
			t.Errorf("the code calls %s (%s) but no policy in deploy/terraform grants it", a, called[a])
		}
	}
	for a := range granted {
		if !want[a] {
			t.Errorf("a policy grants %s, which the code never calls", a)
		}
	}
	if len(called) < 20 {
		t.Fatalf("found only %d SDK calls: the scan is broken: %v", len(called), called)
	}
}

// sdkActions maps IAM action → the file:line of one call making it.
func sdkActions(t *testing.T, dir, importPath string) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	names, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
	conf := types.Config{Importer: exportImporter(t, fset, dir)}
	if _, err := conf.Check(importPath, fset, files, info); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range files {
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if a := actionOf(info, sel); a != "" {
				if n, ok := iamNames[a]; ok {
					a = n
				}
				out[a] = fset.Position(call.Pos()).String()
			}
			return true
		})
	}
	return out
}

// actionOf names the IAM action of a call to an SDK client method
// (c.ec2.CreateImage), a paginator (ec2.NewDescribeInstancesPaginator), a
// presign (PresignGetObject) or stscreds.NewAssumeRoleProvider.
func actionOf(info *types.Info, sel *ast.SelectorExpr) string {
	obj := info.Uses[sel.Sel]
	if obj == nil || obj.Pkg() == nil {
		return ""
	}
	if a := interfaceAction(info, sel); a != "" {
		return a
	}
	path, name := obj.Pkg().Path(), obj.Name()
	svc := path[strings.LastIndex(path, "/")+1:]
	if path == "github.com/aws/aws-sdk-go-v2/credentials/stscreds" && name == "NewAssumeRoleProvider" {
		return "sts:AssumeRole"
	}
	prefix, ok := iamPrefix[svc]
	if !ok || !strings.HasPrefix(path, "github.com/aws/aws-sdk-go-v2/service/") {
		return ""
	}
	if s, ok := info.Selections[sel]; ok && s.Kind() == types.MethodVal {
		recv := s.Recv().String()
		switch {
		case strings.HasSuffix(recv, svc+".Client"):
			return prefix + ":" + name
		case strings.HasSuffix(recv, svc+".PresignClient"):
			return prefix + ":" + strings.TrimPrefix(name, "Presign")
		}
		return "" // paginator NextPage etc.: counted at the constructor
	}
	if op, ok := strings.CutPrefix(name, "New"); ok && strings.HasSuffix(op, "Paginator") {
		return prefix + ":" + strings.TrimSuffix(op, "Paginator")
	}
	return ""
}

// interfaceAction names the action of a call through a consumer's small
// interface over an SDK client (events.SQSAPI.ReceiveMessage): the
// method's second parameter is the operation's *<svc>.<Op>Input.
func interfaceAction(info *types.Info, sel *ast.SelectorExpr) string {
	s, ok := info.Selections[sel]
	if !ok || s.Kind() != types.MethodVal || !types.IsInterface(s.Recv()) {
		return ""
	}
	sig, ok := s.Obj().Type().(*types.Signature)
	if !ok || sig.Params().Len() < 2 {
		return ""
	}
	ptr, ok := sig.Params().At(1).Type().(*types.Pointer)
	if !ok {
		return ""
	}
	named, ok := ptr.Elem().(*types.Named)
	if !ok || named.Obj().Pkg() == nil {
		return ""
	}
	path := named.Obj().Pkg().Path()
	svc := path[strings.LastIndex(path, "/")+1:]
	prefix, ok := iamPrefix[svc]
	op, isInput := strings.CutSuffix(named.Obj().Name(), "Input")
	if !ok || !isInput || !strings.HasPrefix(path, "github.com/aws/aws-sdk-go-v2/service/") {
		return ""
	}
	return prefix + ":" + op
}

// exportImporter imports from the compiler's export data, which `go list
// -export` builds (and caches) for every dependency.
func exportImporter(t *testing.T, fset *token.FileSet, dir string) types.Importer {
	t.Helper()
	out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}", "./"+dir).Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	exports := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if p, f, ok := strings.Cut(line, "="); ok && f != "" {
			exports[p] = f
		}
	}
	return importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		return os.Open(exports[path])
	})
}

// policyActions reads the Allow actions of a policy document.
func policyActions(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Version   string
		Statement []struct {
			Effect string
			Action []string
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if doc.Version != "2012-10-17" {
		t.Errorf("%s: Version %q", path, doc.Version)
	}
	var out []string
	for _, s := range doc.Statement {
		if s.Effect != "Allow" {
			t.Errorf("%s: unexpected effect %q", path, s.Effect)
		}
		for _, a := range s.Action {
			if slices.Contains(out, a) {
				t.Errorf("%s: %s granted twice", path, a)
			}
			out = append(out, a)
		}
	}
	return out
}
