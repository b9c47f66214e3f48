package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/checkpoint"
)

// BundleCheck is what an offline verification of a report bundle checked
// and what it found wrong.
type BundleCheck struct {
	Checked  []string
	Problems []string
}

// OK reports whether nothing was found wrong.
func (c BundleCheck) OK() bool { return len(c.Problems) == 0 }

func (c *BundleCheck) ok(format string, args ...any) {
	c.Checked = append(c.Checked, fmt.Sprintf(format, args...))
}

func (c *BundleCheck) bad(format string, args ...any) {
	c.Problems = append(c.Problems, fmt.Sprintf(format, args...))
}

// VerifyBundle checks a report bundle in dir with nothing but public keys:
// the manifest's seal, every file against the manifest, the checkpoint's
// signature, the audit log re-hashed to the checkpointed head, and the
// evidence JSON's events against the audit log. An error means the bundle
// could not be checked at all (no manifest, an unreadable directory).
func VerifyBundle(dir string, keys *checkpoint.Keyring) (BundleCheck, error) {
	var res BundleCheck
	manRaw, err := os.ReadFile(filepath.Join(dir, FileManifest))
	if err != nil {
		return res, fmt.Errorf("read the bundle's manifest: %w", err)
	}
	var man Manifest
	if err := json.Unmarshal(manRaw, &man); err != nil || man.Schema != ManifestSchema {
		return res, fmt.Errorf("read the bundle's manifest: not a %s document (%v)", ManifestSchema, err)
	}
	verifySeal(&res, dir, manRaw, keys)
	files := verifyFiles(&res, dir, man)
	cp, ok := verifyCheckpoint(&res, files[FileCheckpoint], man, keys)
	if !ok {
		return res, nil
	}
	log, ok := verifyAuditLog(&res, files[FileAuditLog], cp)
	if !ok {
		return res, nil
	}
	verifyEvidenceEvents(&res, files[FileEvidence], log)
	return res, nil
}

// verifySeal checks the manifest's signature.
func verifySeal(res *BundleCheck, dir string, manRaw []byte, keys *checkpoint.Keyring) {
	seal, err := os.ReadFile(filepath.Join(dir, FileSeal))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		res.bad("%s is missing: the manifest is not signed", FileSeal)
	case err != nil:
		res.bad("read %s: %v", FileSeal, err)
	default:
		if err := keys.VerifySeal(seal, manRaw); err != nil {
			res.bad("%s: %v", FileSeal, err)
		} else {
			res.ok("%s: the manifest's signature verifies", FileSeal)
		}
	}
}

// verifyFiles checks every listed file's size and SHA-256 and that nothing
// unlisted sits beside them; it returns the contents of the files that match.
func verifyFiles(res *BundleCheck, dir string, man Manifest) map[string][]byte {
	good := map[string][]byte{}
	listed := map[string]bool{FileManifest: true, FileSeal: true}
	for _, f := range man.Files {
		listed[f.Name] = true
		b, err := os.ReadFile(filepath.Join(dir, filepath.Base(f.Name)))
		if err != nil {
			res.bad("%s: %v", f.Name, err)
			continue
		}
		sum := sha256.Sum256(b)
		if got := hex.EncodeToString(sum[:]); got != f.SHA256 || int64(len(b)) != f.Size {
			res.bad("%s: SHA-256 %s (%d bytes), the manifest says %s (%d bytes)", f.Name, got, len(b), f.SHA256, f.Size)
			continue
		}
		good[f.Name] = b
	}
	res.ok("%d files against the manifest's SHA-256 values", len(man.Files))
	entries, err := os.ReadDir(dir)
	if err != nil {
		res.bad("list %s: %v", dir, err)
		return good
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			res.bad("%s is in the bundle but not in the manifest", e.Name())
		}
	}
	return good
}

// verifyCheckpoint checks the checkpoint's signature and that it is the
// cycle's audit stream at the manifest's audit head.
func verifyCheckpoint(res *BundleCheck, raw []byte, man Manifest, keys *checkpoint.Keyring) (checkpoint.Checkpoint, bool) {
	if raw == nil {
		res.bad("%s is missing or does not match the manifest: nothing to verify the audit log against", FileCheckpoint)
		return checkpoint.Checkpoint{}, false
	}
	cp, err := checkpoint.Decode(raw)
	if err != nil {
		res.bad("%s: %v", FileCheckpoint, err)
		return cp, false
	}
	if err := keys.Verify(cp); err != nil {
		res.bad("%s: %v", FileCheckpoint, err)
		return cp, false
	}
	res.ok("%s: signature by key %s (%s) verifies", FileCheckpoint, cp.KeyID, cp.Fingerprint)
	if want := runbooks.AuditStream(man.Cycle); cp.Stream != want || cp.Head != man.AuditHead {
		res.bad("%s covers %s head %s, the manifest is of %s head %s", FileCheckpoint, cp.Stream, cp.Head, want, man.AuditHead)
		return cp, false
	}
	return cp, true
}

// verifyAuditLog re-hashes every entry of the bundle's audit log and checks
// the chain ends at the checkpoint's seq and head.
func verifyAuditLog(res *BundleCheck, raw []byte, cp checkpoint.Checkpoint) ([]state.ExportLine, bool) {
	if raw == nil {
		res.bad("%s is missing or does not match the manifest", FileAuditLog)
		return nil, false
	}
	lines, err := state.ReadExport(bytes.NewReader(raw))
	if err != nil {
		res.bad("%s: %v", FileAuditLog, err)
		return nil, false
	}
	entries := make([]state.Entry, len(lines))
	for i, l := range lines {
		if l.Stream != cp.Stream {
			res.bad("%s line %d is of stream %s, want %s", FileAuditLog, i+1, l.Stream, cp.Stream)
			return nil, false
		}
		entries[i] = l.Entry()
	}
	checked, at, why := state.VerifyEntries(cp.Stream, nil, entries)
	if at != 0 {
		res.bad("%s: %s seq %d: %s (%d entries verified before it)", FileAuditLog, cp.Stream, at, why, checked)
		return nil, false
	}
	last := state.Entry{}
	if len(entries) > 0 {
		last = entries[len(entries)-1]
	}
	if last.Seq != cp.Seq || last.Hash != cp.Head {
		res.bad("%s: %s ends at seq %d hash %s, the signed checkpoint is at seq %d hash %s",
			FileAuditLog, cp.Stream, last.Seq, last.Hash, cp.Seq, cp.Head)
		return nil, false
	}
	res.ok("%s: %d entries re-hashed to the signed head %s at seq %d", FileAuditLog, checked, cp.Head, cp.Seq)
	return lines, true
}

// verifyEvidenceEvents checks the evidence JSON shows exactly the events of
// the verified audit log, so what a reader sees is what was signed.
func verifyEvidenceEvents(res *BundleCheck, raw []byte, log []state.ExportLine) {
	if raw == nil {
		res.bad("%s is missing or does not match the manifest", FileEvidence)
		return
	}
	var ev struct {
		Events []runbooks.Event `json:"events"`
	}
	if err := json.Unmarshal(raw, &ev); err != nil {
		res.bad("%s: %v", FileEvidence, err)
		return
	}
	if len(ev.Events) != len(log) {
		res.bad("%s has %d events, the signed audit log %d", FileEvidence, len(ev.Events), len(log))
		return
	}
	for i, l := range log {
		var signed runbooks.Event
		if err := json.Unmarshal(l.Entry().Data, &signed); err != nil || !reflect.DeepEqual(signed, ev.Events[i]) {
			res.bad("%s event %d differs from the signed audit log's entry %d", FileEvidence, i+1, l.Seq)
			return
		}
	}
	res.ok("%s: its %d events are the signed audit log's", FileEvidence, len(log))
}
