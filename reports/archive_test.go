package reports

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

func TestLocalArchive(t *testing.T) {
	a := LocalArchive{Dir: t.TempDir()}
	ctx := context.Background()
	f1, err := a.Put(ctx, "c-1/hosts.csv", []byte("a,b\n"), "text/csv")
	if err != nil {
		t.Fatal(err)
	}
	f2, err := a.Put(ctx, "c-1/hosts.csv", []byte("a,b\n1,2\n"), "text/csv")
	if err != nil {
		t.Fatal(err)
	}
	if f1.Location != f2.Location || f2.Size != 8 || f1.SHA256 == f2.SHA256 || f2.Name != "hosts.csv" {
		t.Errorf("puts: %+v then %+v", f1, f2)
	}
	if b, _ := os.ReadFile(f2.Location); string(b) != "a,b\n1,2\n" {
		t.Errorf("file holds %q after the second put", b)
	}
	entries, _ := os.ReadDir(filepath.Join(a.Dir, "c-1"))
	if len(entries) != 1 {
		t.Errorf("%d entries (temporary files left?), want 1", len(entries))
	}
	for _, bad := range []string{"", "../x", "/etc/passwd", "c-1/../../x", "."} {
		if _, err := a.Put(ctx, bad, []byte("x"), ""); err == nil {
			t.Errorf("Put(%q) escaped the archive", bad)
		}
	}
}
