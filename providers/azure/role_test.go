package azure

import (
	"encoding/json"
	"go/ast"
	"go/importer"
	"go/parser"
	gotoken "go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

const roleFile = "../../deploy/terraform/azure/role-azure.json"

// armClientPkgs are the SDK packages whose clients the provider calls.
var armClientPkgs = []string{
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8",
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/hybridcompute/armhybridcompute/v2",
}

// lroReads are what polling a long-running operation reads, by resource
// provider: the Azure-AsyncOperation and Location URLs ARM hands out live
// under the provider's locations/{location}/operations (Compute) or
// operationStatus and operationResults (HybridCompute).
var lroReads = map[string][]string{
	"Microsoft.Compute":       {"Microsoft.Compute/locations/operations/read"},
	"Microsoft.HybridCompute": {"Microsoft.HybridCompute/locations/operationstatus/read", "Microsoft.HybridCompute/locations/operationresults/read"},
}

// TestAzureRoleMatchesCode type-checks the provider's non-test files,
// finds every ARM client method it calls, reads in the SDK's own source
// the HTTP method and URL template that method sends, turns each into the
// ARM operation RBAC checks (namespace/types/read|write|delete, POST
// .../{name}/verb → verb/action), adds the operation-status reads of the
// long-running ones, and requires deploy/terraform/azure/role-azure.json
// to grant exactly those: none missing, none nothing calls.
func TestAzureRoleMatchesCode(t *testing.T) {
	calls := armCalls(t)
	if len(calls) < 20 {
		t.Fatalf("found only %d ARM client calls: the scan is broken: %v", len(calls), calls)
	}
	want := map[string]string{} // operation → the call needing it
	for call, at := range calls {
		op, lro := armOperation(t, call)
		want[op] = call + " at " + at
		if lro {
			for _, r := range lroReads[strings.SplitN(op, "/", 2)[0]] {
				want[r] = "polling " + call
			}
		}
	}
	granted := roleActions(t)
	for op, why := range want {
		if !granted[op] {
			t.Errorf("the code needs %s (%s) but role-azure.json does not grant it", op, why)
		}
	}
	for op := range granted {
		if _, ok := want[op]; !ok {
			t.Errorf("role-azure.json grants %s, which the code never calls", op)
		}
	}
}

// TestAzureRoleOperation pins the mapping from request to operation on
// calls whose operation names are documented (Azure resource provider
// operations: Microsoft.Compute, Microsoft.HybridCompute).
func TestAzureRoleOperation(t *testing.T) {
	for call, want := range map[string]string{
		"armcompute.VirtualMachinesClient.NewListAllPager":               "Microsoft.Compute/virtualMachines/read",
		"armcompute.VirtualMachinesClient.InstanceView":                  "Microsoft.Compute/virtualMachines/instanceView/read",
		"armcompute.VirtualMachinesClient.BeginAssessPatches":            "Microsoft.Compute/virtualMachines/assessPatches/action",
		"armcompute.VirtualMachinesClient.BeginUpdate":                   "Microsoft.Compute/virtualMachines/write",
		"armcompute.VirtualMachineRunCommandsClient.BeginCreateOrUpdate": "Microsoft.Compute/virtualMachines/runCommands/write",
		"armhybridcompute.MachineExtensionsClient.BeginDelete":           "Microsoft.HybridCompute/machines/extensions/delete",
		"armhybridcompute.MachinesClient.BeginInstallPatches":            "Microsoft.HybridCompute/machines/installPatches/action",
		"armcompute.SnapshotsClient.NewListByResourceGroupPager":         "Microsoft.Compute/snapshots/read",
		"armhybridcompute.MachineExtensionsClient.NewListPager":          "Microsoft.HybridCompute/machines/extensions/read",
		"armcompute.VirtualMachineRunCommandsClient.GetByVirtualMachine": "Microsoft.Compute/virtualMachines/runCommands/read",
		"armhybridcompute.MachinesClient.NewListBySubscriptionPager":     "Microsoft.HybridCompute/machines/read",
		"armcompute.VirtualMachinesClient.BeginDeallocate":               "Microsoft.Compute/virtualMachines/deallocate/action",
	} {
		if got, _ := armOperation(t, call); got != want {
			t.Errorf("%s → %s, want %s", call, got, want)
		}
	}
}

// armCalls maps "pkg.Client.Method" → the file:line of one call of an ARM
// client method in the provider's non-test files.
func armCalls(t *testing.T) map[string]string {
	t.Helper()
	fset := gotoken.NewFileSet()
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
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{}}
	conf := types.Config{Importer: exportImporter(t, fset)}
	if _, err := conf.Check("github.com/patchgate/patchgate/providers/azure", fset, files, info); err != nil {
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
			fn, ok := info.Uses[sel.Sel].(*types.Func)
			if !ok || fn.Pkg() == nil || !slices.Contains(armClientPkgs, fn.Pkg().Path()) {
				return true
			}
			recv := fn.Type().(*types.Signature).Recv()
			if recv == nil {
				return true
			}
			named, ok := types.Unalias(derefType(recv.Type())).(*types.Named)
			if !ok || !strings.HasSuffix(named.Obj().Name(), "Client") {
				return true
			}
			out[fn.Pkg().Name()+"."+named.Obj().Name()+"."+fn.Name()] = fset.Position(call.Pos()).String()
			return true
		})
	}
	return out
}

func derefType(t types.Type) types.Type {
	if p, ok := t.(*types.Pointer); ok {
		return p.Elem()
	}
	return t
}

func exportImporter(t *testing.T, fset *gotoken.FileSet) types.Importer {
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

// sdkSources caches each SDK package's parsed files by package name.
var sdkSources = map[string][]*ast.File{}

func sdkFiles(t *testing.T, pkgName string) []*ast.File {
	t.Helper()
	if fs, ok := sdkSources[pkgName]; ok {
		return fs
	}
	var path string
	for _, p := range armClientPkgs {
		if strings.Contains(p, "/"+pkgName+"/") {
			path = p
		}
	}
	dir, err := exec.Command("go", "list", "-f", "{{.Dir}}", path).Output()
	if err != nil {
		t.Fatalf("go list %s: %v", path, err)
	}
	names, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(dir)), "*_client.go"))
	fset := gotoken.NewFileSet()
	var files []*ast.File
	for _, n := range names {
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	sdkSources[pkgName] = files
	return files
}

var placeholder = regexp.MustCompile(`^\{[^}]+\}$`)

// armOperation reads, in the SDK's source, the request a client method
// sends (its <op>CreateRequest: the urlPath template and the HTTP method)
// and names the ARM operation; lro reports a Begin… method.
func armOperation(t *testing.T, call string) (op string, lro bool) {
	t.Helper()
	parts := strings.Split(call, ".")
	pkg, client, method := parts[0], parts[1], parts[2]
	base := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(method, "Begin"), "New"), "Pager")
	reqFn := string(unicode.ToLower(rune(base[0]))) + base[1:] + "CreateRequest"
	var urlPath, verb string
	for _, f := range sdkFiles(t, pkg) {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Name.Name != reqFn || fd.Recv == nil || !strings.Contains(exprString(fd.Recv.List[0].Type), client) {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.AssignStmt:
					if id, ok := n.Lhs[0].(*ast.Ident); ok && id.Name == "urlPath" && n.Tok == gotoken.DEFINE {
						if lit, ok := n.Rhs[0].(*ast.BasicLit); ok {
							urlPath, _ = strconv.Unquote(lit.Value)
						}
					}
				case *ast.SelectorExpr:
					if x, ok := n.X.(*ast.Ident); ok && x.Name == "http" && strings.HasPrefix(n.Sel.Name, "Method") {
						verb = strings.ToUpper(strings.TrimPrefix(n.Sel.Name, "Method"))
					}
				}
				return true
			})
		}
	}
	if urlPath == "" || verb == "" {
		t.Fatalf("%s: no %s with a urlPath and an HTTP method in the SDK's source", call, reqFn)
	}
	i := strings.LastIndex(urlPath, "/providers/")
	if i < 0 {
		t.Fatalf("%s: URL %s names no resource provider", call, urlPath)
	}
	segs := strings.Split(urlPath[i+len("/providers/"):], "/")
	names := []string{segs[0]}
	for _, s := range segs[1:] {
		if !placeholder.MatchString(s) {
			names = append(names, s)
		}
	}
	last := segs[len(segs)-1]
	switch {
	case verb == "POST" && !placeholder.MatchString(last):
		op = strings.Join(names, "/") + "/action"
	case verb == "GET":
		op = strings.Join(names, "/") + "/read"
	case verb == "PUT" || verb == "PATCH":
		op = strings.Join(names, "/") + "/write"
	case verb == "DELETE":
		op = strings.Join(names, "/") + "/delete"
	default:
		t.Fatalf("%s: %s %s has no ARM operation rule", call, verb, urlPath)
	}
	return op, strings.HasPrefix(method, "Begin")
}

func exprString(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return "*" + exprString(e.X)
	case *ast.Ident:
		return e.Name
	}
	return ""
}

// roleActions reads the role's actions, failing on a wildcard: the
// role lists operations, so the comparison with the code is exact.
func roleActions(t *testing.T) map[string]bool {
	t.Helper()
	b, err := os.ReadFile(roleFile)
	if err != nil {
		t.Fatal(err)
	}
	var role struct {
		Name        string   `json:"name"`
		Description string   `json:"description"`
		Actions     []string `json:"actions"`
	}
	if err := json.Unmarshal(b, &role); err != nil {
		t.Fatalf("%s: %v", roleFile, err)
	}
	if role.Name == "" || role.Description == "" {
		t.Errorf("%s: name and description are required by azurerm_role_definition", roleFile)
	}
	out := map[string]bool{}
	for _, a := range role.Actions {
		if strings.Contains(a, "*") {
			t.Errorf("%s: wildcard action %s", roleFile, a)
		}
		if out[a] {
			t.Errorf("%s: %s listed twice", roleFile, a)
		}
		out[a] = true
	}
	return out
}
