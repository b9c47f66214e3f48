package reports

import (
	"bytes"
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/checkpoint"
)

// chainOf is the audit chain the report describes, with the key that signed
// its head when the input carries a checkpoint. The checkpoint must cover
// exactly the entries the report holds.
func chainOf(in runbooks.ReportInput) (Chain, error) {
	ch := Chain{Entries: in.AuditEntries, Head: in.AuditHead}
	if len(in.Checkpoint) == 0 {
		return ch, nil
	}
	cp, err := checkpoint.Decode(in.Checkpoint)
	if err != nil {
		return ch, err
	}
	if cp.Seq != in.AuditEntries || cp.Head != in.AuditHead {
		return ch, fmt.Errorf("the checkpoint covers seq %d head %s, the report holds %d entries with head %s",
			cp.Seq, cp.Head, in.AuditEntries, in.AuditHead)
	}
	ch.KeyID, ch.Fingerprint = cp.KeyID, cp.Fingerprint
	return ch, nil
}

// auditFiles are the audit log as hashed and its signed checkpoint, so the
// bundle verifies with the public key alone (`patchgate report verify`).
func auditFiles(in runbooks.ReportInput, put func(file) error) error {
	if len(in.AuditLog) == 0 {
		return nil
	}
	var buf bytes.Buffer
	buf.Grow(400 * len(in.AuditLog))
	enc := state.NewExportEncoder(&buf)
	stream := runbooks.AuditStream(in.Cycle.ID)
	for _, e := range in.AuditLog {
		if err := enc.Encode(state.NewExportLine(stream, e)); err != nil {
			return fmt.Errorf("write %s of %s: %w", FileAuditLog, in.Cycle.ID, err)
		}
	}
	if err := put(newFile(FileAuditLog, "application/x-ndjson", buf.Bytes())); err != nil {
		return err
	}
	if len(in.Checkpoint) == 0 {
		return nil
	}
	return put(newFile(FileCheckpoint, "application/json", in.Checkpoint))
}
