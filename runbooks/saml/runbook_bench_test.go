package saml

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
)

// BenchmarkRunbook100Certs: one daily run over metadata with 100
// certificates below the warning threshold, on a fresh bbolt store each
// iteration: parse, evaluate, lease, record, post (fake chat), audit.
func BenchmarkRunbook100Certs(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "idp.xml")
	var parts []string
	for i := range 100 {
		parts = append(parts, entity(fmt.Sprintf("https://idp%03d.bank", i), keyDesc{"signing", newCertB64(b, "c", int64(i+1), time.Duration(5+i%50)*day)}))
	}
	if err := writeFile(file, entities(parts...)); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := openStore(b)
		rb := &Runbook{Store: st, Chat: &fakeChat{}, Pager: &fakePager{}, Clock: testkit.NewClock(testNow),
			Sources: []Source{FileSource{SourceName: "idp", Path: file}}}
		b.StartTimer()
		res, err := rb.Run(ctx)
		if err != nil || len(res.Posted) != 100 {
			b.Fatalf("posted %d: %v", len(res.Posted), err)
		}
	}
}
