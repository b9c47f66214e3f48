package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
)

func newAuditExportCmd() *cobra.Command {
	var cfgPath, cycle, tenant, format, outPath string
	var all bool
	cmd := &cobra.Command{
		Use:   "export (--cycle ID | --tenant NAME | --all) [--format chain|siem] [--out FILE]",
		Short: "Write the audit log as JSON lines: the chain (sequence, hash, previous hash, event) or one SIEM event per line",
		Long: `export writes audit entries as JSON lines to stdout or --out FILE.
--format chain (default): each entry with its stream, sequence, time, hash
and previous hash and the event exactly as hashed, so the chain re-checks
from the export alone. --format siem: one flat event per line with time,
cycle, tenant, actor (ID, name, email), action, outcome, stage and detail,
for a SIEM. --tenant exports the tenant's refused cycle starts, which
belong to no cycle; --all includes them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n := btoi(cycle != "") + btoi(tenant != "") + btoi(all); n != 1 {
				return errors.New("audit export: give exactly one of --cycle ID, --tenant NAME or --all")
			}
			if format != "chain" && format != "siem" {
				return fmt.Errorf("audit export: --format %q: want chain or siem", format)
			}
			st, _, err := openStoreFromFile(cmd.Context(), cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			streams, err := exportStreams(cmd.Context(), st, cycle, tenant)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if outPath != "" {
				f, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
				if err != nil {
					return fmt.Errorf("audit export: %w", err)
				}
				defer f.Close()
				out = f
			}
			write := chainLine
			if format == "siem" {
				write = siemLine
			}
			if err := exportAudit(cmd.Context(), st, streams, out, cmd.ErrOrStderr(), write); err != nil {
				return err
			}
			if f, ok := out.(*os.File); ok && outPath != "" {
				if err := f.Sync(); err != nil {
					return fmt.Errorf("audit export: %w", err)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (its store section is used)")
	cmd.Flags().StringVar(&cycle, "cycle", "", "export this cycle's audit log and its refused decisions")
	cmd.Flags().StringVar(&tenant, "tenant", "", "export this tenant's refused cycle starts")
	cmd.Flags().BoolVar(&all, "all", false, "export every audit stream, refused starts included")
	cmd.Flags().StringVar(&format, "format", "chain", "chain (entries as hashed) or siem (one flat event per line)")
	cmd.Flags().StringVar(&outPath, "out", "", "write to this file instead of stdout")
	_ = cmd.MarkFlagRequired("config")
	return cmd
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// exportStreams names the streams one export covers: a cycle's events and
// refused decisions with those of its rollbacks, one rollback's, a
// tenant's refused starts, or (both empty) every stream under audit/.
func exportStreams(ctx context.Context, st state.Store, cycle, tenant string) ([]string, error) {
	switch {
	case runbooks.IsRollbackID(cycle):
		streams := []string{runbooks.RollbackAuditStream(cycle), runbooks.RefusalStream(cycle)}
		if _, err := st.Head(ctx, streams[0]); errors.Is(err, state.ErrNotFound) {
			return nil, fmt.Errorf("audit export: rollback %q has no audit log", cycle)
		}
		return streams, nil
	case cycle != "":
		streams := []string{runbooks.AuditStream(cycle), runbooks.RefusalStream(cycle)}
		if _, err := st.Head(ctx, streams[0]); errors.Is(err, state.ErrNotFound) {
			return nil, fmt.Errorf("audit export: cycle %q has no audit log", cycle)
		}
		// The cycle's rollbacks are part of its evidence.
		rbs, err := runbooks.RollbackIDsOf(ctx, st, cycle)
		if err != nil {
			return nil, err
		}
		for _, id := range rbs {
			streams = append(streams, runbooks.RollbackAuditStream(id), runbooks.RefusalStream(id))
		}
		return streams, nil
	case tenant != "":
		stream := runbooks.StartRefusalStream(tenant)
		if _, err := st.Head(ctx, stream); errors.Is(err, state.ErrNotFound) {
			return nil, fmt.Errorf("audit export: tenant %q has no refused starts (%s is empty)", tenant, stream)
		}
		return []string{stream}, nil
	}
	streams, err := st.Streams(ctx, "audit/")
	if err != nil {
		return nil, fmt.Errorf("list audit streams: %w", err)
	}
	return streams, nil
}

// exportLine is one audit entry as exported (see state.ExportLine).
type exportLine = state.ExportLine

// exportPage bounds how many entries are held in memory at once.
const exportPage = 1000

// lineWriter encodes one entry of stream.
type lineWriter func(enc *json.Encoder, stream string, e state.Entry) error

func chainLine(enc *json.Encoder, stream string, e state.Entry) error {
	return enc.Encode(state.NewExportLine(stream, e))
}

// siemEvent is one audit event flattened for a SIEM (Splunk, Elastic,
// Sentinel): who did what to which cycle, and whether it succeeded.
type siemEvent struct {
	Time   time.Time `json:"time"`
	Source string    `json:"source"`
	Stream string    `json:"stream"`
	Seq    int64     `json:"seq"`
	Cycle  string    `json:"cycle,omitempty"`
	Tenant string    `json:"tenant,omitempty"`
	Actor  string    `json:"actor,omitempty"`
	// ActorName and ActorEmail are who the actor was at the time, as the
	// directory said; ActorUnresolved says why they could not be read.
	ActorName       string            `json:"actor_name,omitempty"`
	ActorEmail      string            `json:"actor_email,omitempty"`
	ActorUnresolved string            `json:"actor_unresolved,omitempty"`
	Action          string            `json:"action"`
	Outcome         string            `json:"outcome"`
	Stage           string            `json:"stage,omitempty"`
	Detail          string            `json:"detail,omitempty"`
	Data            map[string]string `json:"data,omitempty"`
	Hash            string            `json:"hash"`
}

func siemLine(enc *json.Encoder, stream string, e state.Entry) error {
	var ev runbooks.Event
	_ = json.Unmarshal(e.Data, &ev) // a non-event entry still gets a line, with its action unknown
	action := ev.Type
	if action == "" {
		action = "unknown"
	}
	line := siemEvent{Time: e.Time, Source: "patchgate", Stream: stream, Seq: e.Seq, Cycle: ev.Cycle,
		Tenant: ev.Tenant, Actor: ev.Actor, Action: action, Outcome: outcomeOf(stream, action), Stage: ev.Stage,
		Detail: ev.Detail, Data: ev.Data, Hash: e.Hash}
	if p := ev.Person; p != nil {
		line.ActorName, line.ActorEmail, line.ActorUnresolved = p.Name, p.Email, p.Unresolved
	}
	return enc.Encode(line)
}

// outcomeOf classifies an action for a SIEM: refused decisions and starts
// are "denied", halts, rejections and failures "failure", everything else
// "success".
func outcomeOf(stream, action string) string {
	switch {
	case strings.HasPrefix(stream, runbooks.RefusalStream("")) || strings.HasPrefix(stream, runbooks.StartRefusalStream("")) ||
		action == runbooks.EvRefused || action == runbooks.EvStartRefused:
		return "denied"
	case strings.HasSuffix(action, ".failed") || action == runbooks.EvCycleRejected || action == runbooks.EvHalted:
		return "failure"
	}
	return "success"
}

// exportAudit writes every entry of streams as JSON lines, checking each
// chain as it goes. A broken chain is still exported (the evidence of the
// break is worth having) and reported as a finding.
func exportAudit(ctx context.Context, st state.Store, streams []string, out, errOut io.Writer, write lineWriter) error {
	enc := state.NewExportEncoder(out)
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
				if err := write(enc, s, e); err != nil {
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
