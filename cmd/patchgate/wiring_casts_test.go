package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestWiringHasNoCastsToProvidersOrReporters: wiring builds each provider
// and reporter as its concrete type and hands out interfaces, so no
// non-test file of cmd/patchgate asserts an interface back to a type of
// providers/* or reports (a type assertion or a type switch case).
func TestWiringHasNoCastsToProvidersOrReporters(t *testing.T) {
	const module = "github.com/patchgate/patchgate/"
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	checked := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		imports := map[string]string{} // local name -> import path
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			local := path[strings.LastIndex(path, "/")+1:]
			if imp.Name != nil {
				local = imp.Name.Name
			}
			imports[local] = path
		}
		forbidden := func(typ ast.Expr) {
			if typ == nil {
				return
			}
			ast.Inspect(typ, func(n ast.Node) bool {
				sel, ok := n.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				pkg, ok := sel.X.(*ast.Ident)
				if !ok {
					return true
				}
				path := strings.TrimPrefix(imports[pkg.Name], module)
				if strings.HasPrefix(path, "providers/") || path == "reports" || strings.HasPrefix(path, "reports/") {
					t.Errorf("%s: asserts to %s.%s (%s); build it as its concrete type and hand out the interface instead",
						fset.Position(sel.Pos()), pkg.Name, sel.Sel.Name, imports[pkg.Name])
				}
				return false
			})
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.TypeAssertExpr:
				forbidden(n.Type) // nil in a type switch's x.(type)
			case *ast.TypeSwitchStmt:
				for _, s := range n.Body.List {
					for _, typ := range s.(*ast.CaseClause).List {
						forbidden(typ)
					}
				}
			}
			return true
		})
	}
	if checked == 0 {
		t.Fatal("no non-test Go files found in cmd/patchgate")
	}
}
