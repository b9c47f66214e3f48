package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// The streamed evidence is byte for byte what json.Encoder writes, with
// long slices, nil slices and omitempty fields both set and empty.
func TestEvidenceStreamMatchesMarshal(t *testing.T) {
	big := bigBundle(300)
	for name, ev := range map[string]Evidence{
		"long slices": {Schema: EvidenceSchema, Generated: at(2), Cycle: big.Cycle, Events: big.Events, Hosts: big.Hosts,
			HostsBefore: big.Hosts[:100], Marking: "<simulated> & more", AccessError: "denied",
			Rollbacks: []*runbooks.Rollback{{ID: "r-1"}}, Sources: []string{"sim"}},
		"empty": {},
		"short": {Hosts: big.Hosts[:3], Events: []runbooks.Event{}, Refusals: nil},
	} {
		var want bytes.Buffer
		if err := json.NewEncoder(&want).Encode(ev); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		if err := writeJSONStream(&got, &ev); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%s: streamed evidence differs from json.Encoder's (%d vs %d bytes)", name, got.Len(), want.Len())
		}
	}
}

// streamArchive records which files arrived as a stream and the largest
// single write, and keeps them in a LocalArchive.
type streamArchive struct {
	LocalArchive
	streamed map[string]int // name → largest write
}

func (a *streamArchive) PutStream(ctx context.Context, name, ct string, write func(io.Writer) error) (runbooks.ArchivedFile, error) {
	return a.LocalArchive.PutStream(ctx, name, ct, func(w io.Writer) error {
		return write(writerFunc(func(p []byte) (int, error) {
			a.streamed[name] = max(a.streamed[name], len(p))
			return w.Write(p)
		}))
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// bytesOnly hides PutStream: the archive gets each file's bytes at once.
type bytesOnly struct{ a LocalArchive }

func (b bytesOnly) Put(ctx context.Context, name string, data []byte, ct string) (runbooks.ArchivedFile, error) {
	return b.a.Put(ctx, name, data, ct)
}

// A report of 2,000 hosts hands its evidence JSON and hosts CSV to an
// archive that takes streams in pieces of at most 64 KiB (never the whole
// file), and the files are the same as an archive that takes bytes gets.
func TestReportStreamsLargeFilesToTheArchive(t *testing.T) {
	bundle := bigBundle(2000)
	in := runbooks.ReportInput{Cycle: bundle.Cycle, Events: bundle.Events, Hosts: bundle.Hosts, HostsBefore: bundle.Hosts,
		AuditEntries: bundle.Chain.Entries, AuditHead: bundle.Chain.Head, Access: bundle.Access}
	sa := &streamArchive{LocalArchive: LocalArchive{Dir: t.TempDir()}, streamed: map[string]int{}}
	streamed, err := (&Dir{Now: func() time.Time { return at(31) }, Archive: sa}).Report(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	whole, err := (&Dir{Now: func() time.Time { return at(31) }, Archive: bytesOnly{LocalArchive{Dir: t.TempDir()}}}).Report(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{FileEvidence, FileHosts} {
		largest, ok := sa.streamed[bundle.Cycle.ID+"/"+name]
		if !ok || largest > 64<<10 {
			t.Errorf("%s: streamed %v, largest write %d bytes; want a stream in pieces ≤ 64 KiB", name, ok, largest)
		}
	}
	if len(streamed.Files) != len(whole.Files) {
		t.Fatalf("%d files streamed, %d whole", len(streamed.Files), len(whole.Files))
	}
	for i, f := range streamed.Files {
		g := whole.Files[i]
		if f.Name != g.Name || f.Size != g.Size || (f.SHA256 != g.SHA256 && f.Name != PDFName(bundle.Cycle.ID) && f.Name != FileManifest) {
			t.Errorf("%s: streamed %s/%d, whole %s %s/%d", f.Name, f.SHA256, f.Size, g.Name, g.SHA256, g.Size)
		}
		if f.Name == FileEvidence {
			a, _ := os.ReadFile(f.Location)
			b, _ := os.ReadFile(g.Location)
			if !bytes.Equal(a, b) || !json.Valid(a) {
				t.Errorf("evidence differs between the two archives or is not JSON")
			}
		}
	}
}

// A Dir makes at most Parallel reports at once: with its one place taken,
// another report waits, and gives up when its context ends.
func TestReportWaitsForAPlace(t *testing.T) {
	d := &Dir{Path: t.TempDir(), Now: func() time.Time { return at(31) }, Parallel: 1}
	release, err := d.slot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := d.Report(ctx, reportInput()); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the wait for a place cut short", err)
	}
	release()
	if _, err := d.Report(context.Background(), reportInput()); err != nil {
		t.Fatalf("with the place free: %v", err)
	}
}
