package falcon

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/providers/falcon/falcontest"
)

// apiCalls are the c.api.<Service>.<Method>(…) calls in the package's
// non-test source.
func apiCalls(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			method, ok := call.Fun.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			service, ok := method.X.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			if api, ok := service.X.(*ast.SelectorExpr); ok && api.Sel.Name == "api" {
				set[service.Sel.Name+"."+method.Sel.Name] = true
			}
			return true
		})
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestSensorDeployFalconScopesListExactlyWhatTheCodeCalls: the Operations
// table holds exactly the gofalcon calls the code makes, and the
// documented scope table (docs/FALCON_SCOPES.md) holds exactly its rows,
// so the API client is granted what patchgate calls and nothing more.
func TestSensorDeployFalconScopesListExactlyWhatTheCodeCalls(t *testing.T) {
	code := apiCalls(t)
	var table []string
	for _, o := range Operations {
		table = append(table, o.Call)
	}
	slices.Sort(table)
	if !slices.Equal(code, table) {
		t.Errorf("gofalcon calls in the code:\n%s\nOperations table:\n%s", strings.Join(code, "\n"), strings.Join(table, "\n"))
	}
	doc, err := os.ReadFile("../../docs/FALCON_SCOPES.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(doc), "\n## Falcon API scopes\n")
	if !ok {
		t.Fatal("docs/FALCON_SCOPES.md has no \"## Falcon API scopes\" section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	var rows []string
	for _, line := range strings.Split(section, "\n") {
		if strings.HasPrefix(line, "| `") {
			rows = append(rows, line)
		}
	}
	var want []string
	for _, o := range Operations {
		want = append(want, docRow(o))
	}
	if !slices.Equal(rows, want) {
		t.Errorf("docs/FALCON_SCOPES.md scope table:\n%s\nwant, from Operations:\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}
	// The Falcon fake grants and enforces one scope per route family: as
	// many as the table names.
	if got := Scopes(); len(got) != 2+len(falcontest.PreventionScopes) || !slices.Contains(got, "Prevention policies: Write") {
		t.Errorf("scopes %v, want one per scope the Falcon fake enforces (hosts, sensor-update policies and %v)", got, falcontest.PreventionScopes)
	}
}

// docRow is an operation's row in the documentation's scope table.
func docRow(o Operation) string { return "| `" + o.Call + "` | " + o.Scope + " | " + o.Why + " |" }
