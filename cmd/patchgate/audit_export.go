package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

func newAuditExportCmd() *cobra.Command {
	var cfgPath, cycle string
	var all bool
	cmd := &cobra.Command{
		Use:   "export (--cycle ID | --all)",
		Short: "Write the audit log as JSON lines: one entry per line with its sequence, hash and previous hash",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (cycle == "") == !all {
				return errors.New("audit export: give exactly one of --cycle ID or --all")
			}
			st, _, err := openStoreFromFile(cmd.Context(), cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			streams := []string{runbooks.AuditStream(cycle), runbooks.RefusalStream(cycle)}
			if all {
				if streams, err = st.Streams(cmd.Context(), "audit/"); err != nil {
					return fmt.Errorf("list audit streams: %w", err)
				}
			} else if _, err := st.Head(cmd.Context(), streams[0]); errors.Is(err, state.ErrNotFound) {
				return fmt.Errorf("audit export: cycle %q has no audit log", cycle)
			}
			return exportAudit(cmd.Context(), st, streams, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (its store section is used)")
	cmd.Flags().StringVar(&cycle, "cycle", "", "export this cycle's audit log and its refused decisions")
	cmd.Flags().BoolVar(&all, "all", false, "export every audit stream")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

// exportLine is one audit entry as exported. Event is the entry's data as
// the engine wrote it (JSON), so a SIEM can index its fields; Hash and Prev
// let anyone re-check the chain from the export alone with
// state.EntryHash(stream, seq, time, prev, data).
type exportLine struct {
	Stream string          `json:"stream"`
	Seq    int64           `json:"seq"`
	Time   time.Time       `json:"time"`
	Hash   string          `json:"hash"`
	Prev   string          `json:"prev_hash"`
	Event  json.RawMessage `json:"event,omitempty"`
	Data   []byte          `json:"data,omitempty"` // base64, only for an entry that is not JSON
}

// exportPage bounds how many entries are held in memory at once.
const exportPage = 1000

// exportAudit writes every entry of streams as JSON lines, checking each
// chain as it goes. A broken chain is still exported (the evidence of the
// break is worth having) and reported as a finding.
func exportAudit(ctx context.Context, st state.Store, streams []string, out, errOut io.Writer) error {
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false) // keep each event's bytes exactly as hashed
	var broken []string
	total := 0
	for _, s := range streams {
		var prev *state.Entry
		problem := ""
		for from := int64(1); ; {
			page, err := st.Read(ctx, s, from, exportPage)
			if err != nil {
				return fmt.Errorf("read %s from %d: %w", s, from, err)
			}
			if len(page) == 0 {
				break
			}
			if problem == "" {
				if _, at, why := state.VerifyEntries(s, prev, page); at != 0 {
					problem = fmt.Sprintf("entry %d: %s", at, why)
				}
			}
			for _, e := range page {
				line := exportLine{Stream: s, Seq: e.Seq, Time: e.Time, Hash: e.Hash, Prev: e.PrevHash}
				if compactJSON(e.Data) {
					line.Event = e.Data
				} else {
					line.Data = e.Data
				}
				if err := enc.Encode(line); err != nil {
					return fmt.Errorf("write export: %w", err)
				}
				total++
			}
			prev = &page[len(page)-1]
			from = prev.Seq + 1
		}
		if problem != "" {
			broken = append(broken, s+" at "+problem)
		}
	}
	fmt.Fprintf(errOut, "exported %d entries from %d streams\n", total, len(streams))
	if len(broken) > 0 {
		for _, b := range broken {
			fmt.Fprintf(errOut, "BROKEN %s\n", b)
		}
		return &findingError{msg: "audit chain broken"}
	}
	return nil
}

// compactJSON reports whether b is JSON that the encoder will write back
// byte for byte (valid and already compact), so the exported event still
// matches the entry's hash.
func compactJSON(b []byte) bool {
	var buf bytes.Buffer
	return json.Compact(&buf, b) == nil && bytes.Equal(buf.Bytes(), b)
}
