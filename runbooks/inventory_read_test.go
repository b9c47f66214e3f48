package runbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/state/boltstore"
)

// testHosts is n hosts over three environments, every fourth unmanaged,
// with names that need escaping in JSON.
func testHosts(n int) []Host {
	hs := make([]Host, n)
	for i := range hs {
		hs[i] = Host{ID: fmt.Sprintf("i-%08d", i), Name: fmt.Sprintf("web <%d> & \"db\"", i), Cloud: AWS, Account: "111111111111",
			Env: []string{"nonprod", "staging", "production"}[i%3], Managed: i%4 != 0, OS: "Amazon Linux", AgentStatus: "Online"}
	}
	return hs
}

// The inventory is written host by host into its chunks and read back host
// by host: the stored bytes (and so the digest audit events carry) are a
// whole-slice json.Marshal's, a stage gets only its managed hosts, and a
// chunk that is not the one written is refused by its digest.
func TestRecordSizeInventoryStreamed(t *testing.T) {
	ctx := context.Background()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &Engine{cfg: Config{WriteFormat: RecordFormat, RecordTimeout: time.Minute}, deps: Deps{Store: st}}
	hosts := testHosts(5000) // about 2.5 chunks
	if err := e.putInventory(ctx, "c1", hosts); err != nil {
		t.Fatal(err)
	}
	whole, _ := json.Marshal(hosts)
	rec, err := st.Get(ctx, inventoryKey("c1"))
	if err != nil {
		t.Fatal(err)
	}
	var m inventoryRecord
	if err := json.Unmarshal(rec.Value, &m); err != nil {
		t.Fatal(err)
	}
	if want := blobOf(e.blobOwner("c1"), whole); m.Blob != want || m.Blob.chunks() < 3 {
		t.Fatalf("blob %+v, want %+v (json.Marshal of the hosts) in 3 or more chunks", m.Blob, want)
	}
	got, err := e.Inventory(ctx, "c1")
	if err != nil || fmt.Sprint(got) != fmt.Sprint(hosts) {
		t.Fatalf("read back %d hosts (err %v), want the %d written", len(got), err, len(hosts))
	}
	c := &Cycle{ID: "c1", Stages: []Stage{{Env: "nonprod"}, {Env: "staging"}}}
	stage, err := e.stageHosts(ctx, c, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range stage {
		if h.Env != "staging" || !h.Managed {
			t.Fatalf("stage host %+v", h)
		}
	}
	want := 0
	for _, h := range hosts {
		if h.Env == "staging" && h.Managed {
			want++
		}
	}
	if len(stage) != want {
		t.Errorf("%d staging hosts, want the %d managed ones", len(stage), want)
	}
	for _, empty := range [][]Host{nil, {}} {
		if err := e.putInventory(ctx, "c2", empty); err != nil {
			t.Fatal(err)
		}
		if got, err := e.Inventory(ctx, "c2"); err != nil || len(got) != 0 {
			t.Fatalf("empty inventory read as %v, %v", got, err)
		}
	}

	// A second chunk replaced by other bytes of the same length.
	key := m.Blob.key(1)
	r, err := st.Get(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	bad := []byte(strings.Replace(string(r.Value), "Amazon Linux", "Amazon Linuz", 1))
	if _, err := st.Update(ctx, key, bad, r.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Inventory(ctx, "c1"); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("tampered chunk: err = %v, want a digest mismatch", err)
	}
}
