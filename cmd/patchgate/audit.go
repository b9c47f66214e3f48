package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/checkpoint"
)

func newAuditCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Work with the hash-chained, signed audit log"}
	var cfgPath string
	var pubKeys []string
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Check every audit chain, its signed checkpoints and anchors, and every cycle's stream; exit 1 when broken, 3 when a check could not be made",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, cfg, err := openStoreFromFile(cmd.Context(), cfgPath)
			if err != nil {
				return err
			}
			defer st.Close()
			anchor, err := auditAnchor(cmd.Context(), cfg.Audit)
			if err != nil {
				return &uncheckedError{msg: err.Error()}
			}
			keys, err := auditKeyring(cmd.Context(), cfg.Audit, pubKeys, nil)
			if err != nil {
				return &uncheckedError{msg: err.Error()}
			}
			return verifyAudit(cmd.Context(), st, anchor, keys, cmd.OutOrStdout())
		},
	}
	verify.Flags().StringVarP(&cfgPath, "config", "c", "", "configuration file (its store and audit sections are used)")
	verify.Flags().StringArrayVar(&pubKeys, "public-key", nil, "PEM public key to verify checkpoints with, besides the configured ones (repeatable)")
	_ = verify.MarkFlagRequired("config")
	cmd.AddCommand(verify, newAuditExportCmd())
	return cmd
}

// auditRun collects what verifyAudit checked and found.
type auditRun struct {
	out       io.Writer
	streams   int
	entries   int64
	anchored  int
	broken    int
	unchecked int
}

func (r *auditRun) brokenf(format string, args ...any) {
	r.broken++
	fmt.Fprintf(r.out, "BROKEN "+format+"\n", args...)
}

func (r *auditRun) finding(f checkpoint.Finding) {
	if f.Unchecked {
		r.unchecked++
		fmt.Fprintf(r.out, "NOT CHECKED %s\n", f)
		return
	}
	r.brokenf("%s", f)
}

// verifyAudit checks the audit log an auditor relies on, and prints what it
// checked and where each check stopped:
//   - every stream under audit/ re-walked, hash by hash, to its stored head;
//   - with an anchor, every anchored checkpoint's signature and its link to
//     the checkpoint before it, and that each anchored stream still holds
//     the anchored entry (a truncated, deleted or consistently rewritten
//     stream does not);
//   - every cycle record has its stream, and the stream holds exactly the
//     events the record counts.
//
// It returns a findingError when anything is broken and an uncheckedError
// when nothing is broken but something could not be checked.
func verifyAudit(ctx context.Context, st state.Store, anchor checkpoint.Anchor, keys *checkpoint.Keyring, out io.Writer) error {
	r := &auditRun{out: out}
	streams, err := st.Streams(ctx, "audit/")
	if err != nil {
		return &uncheckedError{msg: fmt.Sprintf("list audit streams: %v", err)}
	}
	heads := map[string]int64{} // stream -> last verified seq
	for _, s := range streams {
		v, err := st.Verify(ctx, s)
		if err != nil && !errors.Is(err, state.ErrNotFound) {
			return &uncheckedError{msg: fmt.Sprintf("verify %s: %v", s, err)}
		}
		r.streams++
		r.entries += v.Checked
		if err != nil {
			r.brokenf("%s: listed in the stream index but has no entries and no head", s)
			continue
		}
		if !v.OK() {
			r.brokenf("%s at entry %d: %s (%d entries checked before it)", s, v.BrokenAt, v.Problem, v.Checked)
			continue
		}
		heads[s] = v.Checked
	}
	fmt.Fprintf(out, "chains: %d entries re-hashed in %d streams\n", r.entries, r.streams)
	if err := r.checkAnchor(ctx, st, anchor, keys, streams); err != nil {
		return err
	}
	if err := r.checkCycles(ctx, st, heads); err != nil {
		return err
	}
	switch {
	case r.broken > 0:
		fmt.Fprintf(out, "audit BROKEN: %d problems\n", r.broken)
		return &findingError{msg: "audit chain broken"}
	case r.unchecked > 0:
		fmt.Fprintf(out, "audit NOT FULLY CHECKED: %d checks could not be made, no break found\n", r.unchecked)
		return &uncheckedError{msg: "audit not fully checked"}
	}
	fmt.Fprintf(out, "audit OK: %d entries checked in %d streams, no break\n", r.entries, r.streams)
	return nil
}

// checkAnchor verifies the anchored checkpoints and compares the latest of
// each stream with the store.
func (r *auditRun) checkAnchor(ctx context.Context, st state.Store, anchor checkpoint.Anchor, keys *checkpoint.Keyring, streams []string) error {
	if anchor == nil {
		fmt.Fprintln(r.out, "checkpoints: NOT CHECKED: no audit.anchor configured, so a truncated, deleted or consistently rewritten chain cannot be told from an honest one")
		return nil
	}
	chains, findings, err := checkpoint.VerifyAnchor(ctx, anchor, keys)
	if err != nil {
		return &uncheckedError{msg: err.Error()}
	}
	for _, f := range findings {
		r.finding(f)
	}
	count := 0
	for _, ch := range chains {
		count += ch.Count
		if ch.Latest == nil {
			continue
		}
		f, err := checkpoint.CheckStore(ctx, st, ch.Latest)
		if err != nil {
			return &uncheckedError{msg: err.Error()}
		}
		if f != nil {
			r.finding(*f)
			continue
		}
		r.anchored++
	}
	unanchored := 0
	for _, s := range streams {
		if chains[s] == nil {
			unanchored++
		}
	}
	fmt.Fprintf(r.out, "checkpoints: %d read from %s for %d streams; %d streams extend their latest anchored head; %d streams have no checkpoint yet\n",
		count, anchor, len(chains), r.anchored, unanchored)
	return nil
}

// checkCycles compares every cycle record with its audit stream.
func (r *auditRun) checkCycles(ctx context.Context, st state.Store, heads map[string]int64) error {
	cycles, err := runbooks.AuditedCycles(ctx, st)
	if err != nil {
		return &uncheckedError{msg: err.Error()}
	}
	seen := map[string]bool{}
	for _, c := range cycles {
		if seen[c.Stream()] {
			continue // being archived: active and done for a moment
		}
		seen[c.Stream()] = true
		stream := c.Stream()
		got, verified := heads[stream]
		if !verified {
			if _, err := st.Head(ctx, stream); errors.Is(err, state.ErrNotFound) && c.Revision > c.Pending {
				r.brokenf("%s at seq 1: %s %s (%s) counts %d events but its audit stream is gone (deleted)",
					stream, kindName(c), c.ID, c.Status, c.Revision)
			}
			continue // a broken chain was reported above
		}
		if got < c.Revision-c.Pending || got > c.Revision {
			at := got + 1
			if got > c.Revision {
				at = c.Revision + 1
			}
			r.brokenf("%s at seq %d: %s %s (%s) counts %d events (%d not yet appended), the stream holds %d",
				stream, at, kindName(c), c.ID, c.Status, c.Revision, c.Pending, got)
		}
	}
	fmt.Fprintf(r.out, "cycles and runbooks: %d records compared with their audit streams\n", len(seen))
	return nil
}

func kindName(c runbooks.CycleAudit) string {
	if c.Kind == "" {
		return "cycle"
	}
	return c.Kind
}

// uncheckedError means a check could not be made (exit 3): the store or
// anchor was unreachable, or a checkpoint's key is unknown.
type uncheckedError struct{ msg string }

func (e *uncheckedError) Error() string { return e.msg }

// readPublicKeys reads PEM public key files for the keyring.
func readPublicKeys(paths []string, add func(id string, pemText []byte) error) error {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("read public key: %w", err)
		}
		if err := add("", b); err != nil {
			return fmt.Errorf("public key %s: %w", p, err)
		}
	}
	return nil
}
