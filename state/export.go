package state

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// ExportLine is one stream entry as exported to JSON lines (`audit export`,
// a report bundle's audit log, the evidence archive). Event holds the
// entry's data when it is compact JSON, so a SIEM can index its fields;
// Data holds it (base64) otherwise. Either way the bytes are exactly those
// hashed, so the chain re-checks from the export alone with EntryHash.
type ExportLine struct {
	Stream string          `json:"stream"`
	Seq    int64           `json:"seq"`
	Time   time.Time       `json:"time"`
	Hash   string          `json:"hash"`
	Prev   string          `json:"prev_hash"`
	Event  json.RawMessage `json:"event,omitempty"`
	Data   []byte          `json:"data,omitempty"`
}

// NewExportLine is e of stream as an export line.
func NewExportLine(stream string, e Entry) ExportLine {
	l := ExportLine{Stream: stream, Seq: e.Seq, Time: e.Time, Hash: e.Hash, Prev: e.PrevHash}
	if compactJSON(e.Data) {
		l.Event = e.Data
	} else {
		l.Data = e.Data
	}
	return l
}

// Entry turns the line back into the entry it was made from.
func (l ExportLine) Entry() Entry {
	data := l.Data
	if len(l.Event) > 0 {
		data = l.Event
	}
	return Entry{Seq: l.Seq, Time: l.Time, PrevHash: l.Prev, Hash: l.Hash, Data: data}
}

// compactJSON reports whether b is JSON an encoder writes back byte for
// byte (valid and already compact).
func compactJSON(b []byte) bool {
	var buf bytes.Buffer
	return json.Compact(&buf, b) == nil && bytes.Equal(buf.Bytes(), b)
}

// NewExportEncoder writes export lines without escaping HTML characters, so
// each event's bytes stay exactly as hashed.
func NewExportEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// ReadExport decodes JSON lines written by an export encoder.
func ReadExport(r io.Reader) ([]ExportLine, error) {
	dec := json.NewDecoder(r)
	var out []ExportLine
	for {
		var l ExportLine
		err := dec.Decode(&l)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("decode export line %d: %w", len(out)+1, err)
		}
		out = append(out, l)
	}
}
