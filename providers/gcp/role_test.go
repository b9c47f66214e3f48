package gcp

import (
	"encoding/json"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const roleFile = "../../deploy/terraform/gcp/role-gcp.json"

// callPermissions maps each google.golang.org/api request the provider
// builds (its *Call type) to the IAM permissions Google checks for it, as
// each method's REST reference lists them under "IAM Permissions". A call
// missing here fails the test, so a new API call cannot go unreviewed.
var callPermissions = map[string][]string{
	"compute.InstancesAggregatedListCall": {"compute.instances.list"},
	"compute.InstancesGetCall":            {"compute.instances.get"},
	"compute.InstancesSetLabelsCall":      {"compute.instances.setLabels"},
	"compute.InstancesStopCall":           {"compute.instances.stop"},
	"compute.InstancesStartCall":          {"compute.instances.start"},
	"compute.InstancesDetachDiskCall":     {"compute.instances.detachDisk"},
	// Attaching uses the disk.
	"compute.InstancesAttachDiskCall": {"compute.instances.attachDisk", "compute.disks.use"},
	// A snapshot with labels needs setLabels on the new snapshot.
	"compute.DisksCreateSnapshotCall": {"compute.disks.createSnapshot", "compute.snapshots.create", "compute.snapshots.setLabels"},
	"compute.DisksGetCall":            {"compute.disks.get"},
	// A labelled disk from a snapshot reads the snapshot.
	"compute.DisksInsertCall":                                               {"compute.disks.create", "compute.disks.setLabels", "compute.snapshots.useReadOnly"},
	"compute.SnapshotsListCall":                                             {"compute.snapshots.list"},
	"compute.SnapshotsGetCall":                                              {"compute.snapshots.get"},
	"compute.SnapshotsDeleteCall":                                           {"compute.snapshots.delete"},
	"compute.ZoneOperationsGetCall":                                         {"compute.zoneOperations.get"},
	"compute.GlobalOperationsGetCall":                                       {"compute.globalOperations.get"},
	"osconfig.ProjectsPatchJobsExecuteCall":                                 {"osconfig.patchJobs.exec"},
	"osconfig.ProjectsPatchJobsGetCall":                                     {"osconfig.patchJobs.get"},
	"osconfig.ProjectsPatchJobsListCall":                                    {"osconfig.patchJobs.list"},
	"osconfig.ProjectsPatchJobsInstanceDetailsListCall":                     {"osconfig.patchJobs.get"},
	"osconfig.ProjectsLocationsInstancesInventoriesListCall":                {"osconfig.inventories.list"},
	"osconfig.ProjectsLocationsInstancesVulnerabilityReportsListCall":       {"osconfig.vulnerabilityReports.list"},
	"osconfig.ProjectsLocationsOsPolicyAssignmentsCreateCall":               {"osconfig.osPolicyAssignments.create"},
	"osconfig.ProjectsLocationsOsPolicyAssignmentsGetCall":                  {"osconfig.osPolicyAssignments.get"},
	"osconfig.ProjectsLocationsOsPolicyAssignmentsDeleteCall":               {"osconfig.osPolicyAssignments.delete"},
	"osconfig.ProjectsLocationsInstancesOsPolicyAssignmentsReportsListCall": {"osconfig.osPolicyAssignmentReports.list"},
}

// TestGCPRoleMatchesCode type-checks this package's non-test files, finds
// every Google API request it builds (a service method returning a
// *…Call), maps each to its IAM permissions through callPermissions, and
// requires deploy/terraform/gcp/role-gcp.json to grant exactly those: none
// missing, none that nothing calls, no table entry left unused.
func TestGCPRoleMatchesCode(t *testing.T) {
	calls := apiCalls(t)
	want := map[string]string{}
	for call, at := range calls {
		perms, ok := callPermissions[call]
		if !ok {
			t.Errorf("%s builds %s, which callPermissions does not map to IAM permissions", at, call)
		}
		for _, p := range perms {
			want[p] = call
		}
	}
	for call := range callPermissions {
		if _, ok := calls[call]; !ok {
			t.Errorf("callPermissions lists %s, which the code no longer calls", call)
		}
	}
	granted := rolePermissions(t)
	for p, call := range want {
		if !slices.Contains(granted, p) {
			t.Errorf("the code needs %s (%s at %s) but role-gcp.json lacks it", p, call, calls[call])
		}
	}
	for _, p := range granted {
		if _, ok := want[p]; !ok {
			t.Errorf("role-gcp.json grants %s, which nothing the code calls needs", p)
		}
	}
	if len(calls) < 20 {
		t.Fatalf("found only %d API calls: the scan is broken: %v", len(calls), calls)
	}
	tf, err := os.ReadFile("../../deploy/terraform/gcp/main.tf")
	if err != nil || !strings.Contains(string(tf), `jsondecode(file("${path.module}/role-gcp.json"))`) ||
		!strings.Contains(string(tf), "permissions = local.role.permissions") {
		t.Errorf("deploy/terraform/gcp/main.tf no longer builds the custom role from role-gcp.json (%v)", err)
	}
}

// apiCalls maps "pkg.TypeCall" → the file:line of one call building it.
func apiCalls(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	var files []*ast.File
	names, _ := filepath.Glob("*.go")
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
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
	conf := types.Config{Importer: exportImporter(t, fset)}
	if _, err := conf.Check("github.com/patchgate/patchgate/providers/gcp", fset, files, info); err != nil {
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
			s, ok := info.Selections[sel]
			if !ok || s.Kind() != types.MethodVal || !strings.HasSuffix(s.Recv().String(), "Service") {
				return true
			}
			ptr, ok := info.Types[call].Type.(*types.Pointer)
			if !ok {
				return true
			}
			named, ok := ptr.Elem().(*types.Named)
			if !ok || named.Obj().Pkg() == nil || !strings.HasPrefix(named.Obj().Pkg().Path(), "google.golang.org/api/") ||
				!strings.HasSuffix(named.Obj().Name(), "Call") {
				return true
			}
			out[named.Obj().Pkg().Name()+"."+named.Obj().Name()] = fset.Position(call.Pos()).String()
			return true
		})
	}
	return out
}

// exportImporter imports from the compiler's export data, which `go list
// -export` builds (and caches) for every dependency.
func exportImporter(t *testing.T, fset *token.FileSet) types.Importer {
	t.Helper()
	out, err := exec.Command("go", "list", "-export", "-deps", "-f", "{{.ImportPath}}={{.Export}}", ".").Output()
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

// rolePermissions reads the role's permission list, each once.
func rolePermissions(t *testing.T) []string {
	t.Helper()
	b, err := os.ReadFile(roleFile)
	if err != nil {
		t.Fatal(err)
	}
	var role struct {
		Title, Description string
		Permissions        []string
	}
	if err := json.Unmarshal(b, &role); err != nil {
		t.Fatalf("%s: %v", roleFile, err)
	}
	if role.Title == "" || len(role.Permissions) == 0 {
		t.Fatalf("%s: no title or permissions", roleFile)
	}
	for i, p := range role.Permissions {
		if slices.Contains(role.Permissions[:i], p) {
			t.Errorf("%s: %s granted twice", roleFile, p)
		}
	}
	return role.Permissions
}
