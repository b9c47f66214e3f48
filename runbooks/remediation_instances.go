package runbooks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// A remediation opened in RemFormatBlob gathers its window's entries into
// a blob of its own key space (blobs/<remediation>/…, chunked like a
// cycle's, so no store value passes 1 MB), not into the record: one Config
// rule failing across an environment makes thousands of instances, and the
// record is what every tick lists and decodes and every progress write
// rewrites. The record keeps the blob's reference and a summary (counts,
// rules, the oldest report, the first few instances) that the tick's Next,
// the card and listings read; steps that act on instances load them
// (Engine.RemediationInstances checks the digest), and a write of a record
// whose instances changed writes a new blob and deletes the one it
// replaces. The gather's audit event carries the blob's digest, so the
// chain vouches for the instances without holding them. The entries stay
// until the remediation is archived: they answer "does it hold instance
// X" for an event without reading the blob.
const RemFormatBlob = 3

// remHeadMax is how many instances the summary shows (a card shows 15).
const remHeadMax = 16

// remAuditInstances is the most instances audited one line each (and
// listed in the resolution's events); beyond it the events carry counts
// and the blob's digest.
const remAuditInstances = 20

// InstancesRef is a remediation's instances blob and what the record shows
// of them without reading it.
type InstancesRef struct {
	BlobRef
	Count     int                   `json:"count"`
	Compliant int                   `json:"compliant"`
	Rules     []string              `json:"rules,omitempty"`
	Since     time.Time             `json:"since,omitzero"`
	ByCloud   map[Cloud]int         `json:"by_cloud,omitempty"`
	Head      []RemediationInstance `json:"head,omitempty"`
}

// auditData is what the gather's audit event records of the instances:
// the blob's key, digest and size (so the chain vouches for the bytes),
// counts, rules, the oldest report and the first few instance IDs.
func (r *Remediation) auditData() map[string]string {
	ref := r.InstancesBlob
	r.keepEvidence()
	ids := make([]string, 0, min(remAuditInstances, len(ref.Head)))
	for _, in := range ref.Head[:min(remAuditInstances, len(ref.Head))] {
		ids = append(ids, in.Host.ID)
	}
	return map[string]string{"blob": ref.Key(), "sha256": ref.SHA256, "size": fmt.Sprint(ref.Size),
		"instances": fmt.Sprint(ref.Count), "compliant": fmt.Sprint(ref.Compliant), "rules": strings.Join(ref.Rules, ","),
		"compliance": NonCompliant, "at": ref.Since.UTC().Format(time.RFC3339), "sample": strings.Join(ids, ",")}
}

// keepEvidence records that an audit event names the current instances
// blob.
func (r *Remediation) keepEvidence() {
	if ref := r.InstancesBlob; ref != nil && !slices.Contains(r.Evidence, ref.BlobRef) {
		r.Evidence = append(r.Evidence, ref.BlobRef)
	}
}

// loaded reports whether r.Instances holds every instance: inline records
// always do, a blob record once its blob is read.
func (r *Remediation) loaded() bool {
	return r.InstancesBlob == nil || r.whole
}

// InstanceCount is how many instances the remediation holds.
func (r *Remediation) InstanceCount() int {
	if !r.loaded() {
		return r.InstancesBlob.Count
	}
	return len(r.Instances)
}

// Head returns the first k instances (fewer when it holds fewer), read or not.
func (r *Remediation) Head(k int) []RemediationInstance {
	ins := r.Instances
	if !r.loaded() {
		ins = r.InstancesBlob.Head
	}
	return ins[:min(k, len(ins))]
}

// ByCloud counts the instances per cloud.
func (r *Remediation) ByCloud() map[Cloud]int {
	if !r.loaded() {
		return r.InstancesBlob.ByCloud
	}
	return instancesByCloud(r.Instances)
}

func instancesByCloud(ins []RemediationInstance) map[Cloud]int {
	out := map[Cloud]int{}
	for _, in := range ins {
		out[in.Host.Cloud]++
	}
	return out
}

// RemediationInstances returns r's instances, reading them from r's blob
// (checked against its digest) when r keeps them there and they are not
// read yet; r.Instances holds them afterwards.
func (e *Engine) RemediationInstances(ctx context.Context, r *Remediation) ([]RemediationInstance, error) {
	if r.loaded() {
		return r.Instances, nil
	}
	ref := r.InstancesBlob
	ins, err := getList[RemediationInstance](ctx, e.deps.Store, ref.BlobRef, ref.Count)
	if err != nil {
		return nil, fmt.Errorf("read instances of %s: %w", r.ID, err)
	}
	if len(ins) != ref.Count {
		return nil, fmt.Errorf("read instances of %s: blob %s holds %d, the record says %d", r.ID, ref.SHA256[:12], len(ins), ref.Count)
	}
	r.Instances, r.whole, r.loadedFrom = ins, true, ref.BlobRef
	return ins, nil
}

// loadInstances reads r's instances for a step that acts on them.
func (e *Engine) loadInstances(ctx context.Context, r *Remediation) error {
	_, err := e.RemediationInstances(ctx, r)
	return err
}

// instancesSummary is the summary of ins a record keeps beside their blob.
func instancesSummary(blob BlobRef, ins []RemediationInstance) *InstancesRef {
	ref := &InstancesRef{BlobRef: blob, Count: len(ins), Rules: instanceRules(ins), Since: instancesSince(ins),
		ByCloud: instancesByCloud(ins)}
	for _, in := range ins {
		if in.Compliance == Compliant {
			ref.Compliant++
		}
	}
	ref.Head = make([]RemediationInstance, min(remHeadMax, len(ins)))
	for i := range ref.Head {
		in := ins[i]
		in.Rules = slices.Clone(in.Rules)
		ref.Head[i] = in
	}
	return ref
}

// putInstances writes r's loaded instances as a blob unless InstancesBlob
// names those very bytes already, and points InstancesBlob at it.
func (e *Engine) putInstances(ctx context.Context, r *Remediation) error {
	w, err := encodeList(r.Instances)
	if err != nil {
		return fmt.Errorf("encode instances of %s: %w", r.ID, err)
	}
	blob := w.ref(r.ID)
	if r.InstancesBlob != nil && r.InstancesBlob.BlobRef == blob {
		return nil
	}
	if err := putChunks(ctx, e.deps.Store, blob, func(i int) []byte { return w.chunks[i] }); err != nil {
		return fmt.Errorf("store instances of %s: %w", r.ID, err)
	}
	r.InstancesBlob, r.whole = instancesSummary(blob, r.Instances), true
	return nil
}

// stored writes the blobs r's loaded parts need (its instances from
// RemFormatBlob, per-host result lists too large for the record) and
// returns the record to encode: r without what the blobs hold. r keeps its
// loaded lists, its references moved to the blobs written.
func (r *Remediation) stored(ctx context.Context, e *Engine) (any, error) {
	if r.Format < RemFormatBlob {
		return r, nil
	}
	wctx, cancel := e.recordContext(ctx)
	defer cancel()
	if r.Gathered && len(r.Instances) > 0 && r.loaded() {
		if err := e.putInstances(wctx, r); err != nil {
			return nil, err
		}
	}
	out := *r
	if r.InstancesBlob != nil {
		out.Instances = nil
	}
	out.Gates = slices.Clone(r.Gates)
	if r.Failure != nil {
		f := *r.Failure
		out.Failure = &f
	}
	if err := out.resultLists(func(fs *[]Finding, ref **ResultsRef) error { return e.storeResultList(wctx, r.ID, fs, ref) }); err != nil {
		return nil, err
	}
	for i, g := range out.Gates {
		r.Gates[i].FindingsBlob = g.FindingsBlob
	}
	if out.Failure != nil {
		r.Failure.FindingsBlob = out.Failure.FindingsBlob
	}
	return &out, nil
}

// saved deletes the instances blob a write replaced. A reader that read
// the record before the write and its blob after finds the blob gone and
// reads the record again (GetRemediation).
func (r *Remediation) saved(ctx context.Context, e *Engine) {
	old := r.loadedFrom
	if old.IsZero() || r.InstancesBlob == nil || r.InstancesBlob.BlobRef == old {
		return
	}
	r.loadedFrom = r.InstancesBlob.BlobRef
	if slices.Contains(r.Evidence, old) {
		return
	}
	if err := deleteBlob(ctx, e.deps.Store, old); err != nil {
		e.log.Warn("delete replaced instances blob", "remediation", r.ID, "blob", old.Key(), "err", err) // the archive sweeps it
	}
}

// loadResults reads the per-host result lists r keeps in blobs.
func (r *Remediation) loadResults(ctx context.Context, e *Engine) error {
	return r.resultLists(func(fs *[]Finding, ref **ResultsRef) error { return e.loadResultList(ctx, r.ID, fs, *ref) })
}

// resultLists visits r's per-host result lists: its gates' findings and
// its failure's.
func (r *Remediation) resultLists(visit func(fs *[]Finding, ref **ResultsRef) error) error {
	for i := range r.Gates {
		if err := visit(&r.Gates[i].Findings, &r.Gates[i].FindingsBlob); err != nil {
			return err
		}
	}
	if r.Failure != nil {
		return visit(&r.Failure.Findings, &r.Failure.FindingsBlob)
	}
	return nil
}

// sweepBlobs deletes the blobs of a finished remediation that neither its
// record nor its audit trail names (left by a write that lost a race or a
// crash between a write and its delete): what the record names stays, so
// the archived record reads whole, and what an event names by digest (an
// instances blob, an earlier attempt's operation handle) stays as the
// evidence the chain vouches for.
func (e *Engine) sweepBlobs(ctx context.Context, r *Remediation) error {
	keep := map[string]bool{}
	evs, err := e.RemediationEvents(ctx, r.ID)
	if err != nil {
		return err
	}
	eventDigests(evs, keep)
	if r.InstancesBlob != nil {
		keep[r.InstancesBlob.SHA256] = true
	}
	for _, b := range r.Evidence {
		keep[b.SHA256] = true
	}
	for _, op := range []Op{r.Backup, r.Patch} {
		keep[op.HandleBlob.SHA256] = true
	}
	_ = r.resultLists(func(_ *[]Finding, ref **ResultsRef) error {
		if *ref != nil {
			keep[(*ref).SHA256] = true
		}
		return nil
	})
	return e.deleteBlobsExcept(ctx, r.ID, keep)
}
