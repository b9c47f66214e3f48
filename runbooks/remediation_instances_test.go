package runbooks

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
)

// A blob remediation's record holds its instances' reference and summary,
// never the instances: they read back whole through RemediationInstances,
// equal to a whole-slice json.Marshal's bytes by digest; a write that
// changes them writes a new blob and deletes the one replaced unless an
// audit event names it; a chunk that is not the one written is refused.
func TestRecordSizeRemediationInstancesBlob(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := &Engine{cfg: Config{WriteFormat: RecordFormat, RecordTimeout: time.Minute}, deps: Deps{Store: st},
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	r := &Remediation{ID: "RM-t", Tenant: "t", Env: "staging", Status: RemAwaitingApproval, Format: RemFormatBlob, Sealed: true, Gathered: true}
	for i := range 3000 { // about 1 MB: more than one chunk
		r.Instances = append(r.Instances, RemediationInstance{Host: Host{ID: fmt.Sprintf("i-%08d", i), Cloud: AWS, Account: "1", Region: "r"},
			Rules: []string{"rule-b", "rule-a"}, Since: t0.Add(time.Duration(i) * time.Second), Compliance: NonCompliant})
	}
	if err := e.putInstances(ctx, r); err != nil {
		t.Fatal(err)
	}
	r.emit(t0, "", EvRemediationGathered, ActorSystem, "gathered", r.auditData())
	gathered := r.InstancesBlob.BlobRef
	if err := e.createRemediation(ctx, r); err != nil {
		t.Fatal(err)
	}
	raw, _ := st.Get(ctx, e.remediations().activeKey(r.ID))
	whole, _ := json.Marshal(r.Instances)
	if len(raw.Value) > 16<<10 || strings.Contains(string(raw.Value), "i-00002999") || blobOf(r.ID, whole) != gathered || gathered.chunks() < 2 {
		t.Fatalf("record of %d B (instances inline: %v), blob %+v; want a small record and json.Marshal's bytes in 2+ chunks",
			len(raw.Value), strings.Contains(string(raw.Value), "i-00002999"), gathered)
	}

	got, err := e.getActiveRemediation(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.InstanceCount() != 3000 || len(got.Instances) != 0 || !got.Since().Equal(t0) || fmt.Sprint(got.Rules()) != "[rule-a rule-b]" ||
		len(got.Head(15)) != 15 || got.allCompliant() {
		t.Fatalf("summary: count %d (%d read), since %s, rules %v, head %d, all compliant %v", got.InstanceCount(), len(got.Instances),
			got.Since(), got.Rules(), len(got.Head(15)), got.allCompliant())
	}
	ins, err := e.RemediationInstances(ctx, got)
	if err != nil || len(ins) != 3000 || ins[2999].Host.ID != "i-00002999" {
		t.Fatalf("read back %d instances (err %v)", len(ins), err)
	}

	// Twice rewritten: the gathered blob stays (audited), the middle one goes.
	for _, v := range []string{Compliant, "NOT_APPLICABLE"} {
		n := got.Clone()
		for i := range n.Instances {
			n.Instances[i].Compliance = v
		}
		if err := e.saveRemediation(ctx, nil, n); err != nil {
			t.Fatal(err)
		}
		if got, err = e.GetRemediation(ctx, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	recs, _ := st.List(ctx, blobPrefix(r.ID))
	digests := map[string]bool{}
	for _, rec := range recs {
		d, _, _ := strings.Cut(strings.TrimPrefix(rec.Key, blobPrefix(r.ID)), "/")
		digests[d] = true
	}
	if len(digests) != 2 || !digests[gathered.SHA256] || !digests[got.InstancesBlob.SHA256] {
		t.Fatalf("blobs kept %v; want the audited gathered one and the current one", digests)
	}

	// A chunk that is not the one written is refused by the digest.
	last := got.InstancesBlob.key(got.InstancesBlob.chunks() - 1)
	c, _ := st.Get(ctx, last)
	if _, err := st.Update(ctx, last, append([]byte(" "), c.Value[1:]...), c.Version); err != nil {
		t.Fatal(err)
	}
	if _, err := e.GetRemediation(ctx, r.ID); err == nil || !strings.Contains(err.Error(), "digest") {
		t.Fatalf("a tampered chunk read back with err %v, want a digest mismatch", err)
	}
	// A blob gone (replaced under a reader) is not found, so readers retry.
	if err := st.Delete(ctx, last, c.Version+1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RemediationInstances(ctx, &Remediation{ID: r.ID, InstancesBlob: got.InstancesBlob}); !errors.Is(err, state.ErrNotFound) {
		t.Fatalf("a missing chunk read back with err %v, want not found", err)
	}
}
