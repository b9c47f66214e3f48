package bot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// localReportFile is an archived report file kept on this machine as an
// attachment read from disk on each upload attempt: a 20,000-host hosts CSV
// is ~4.5 MB, and holding it whole beside the report's own memory is what
// pushed a cycle's peak RSS up.
func localReportFile(f runbooks.ArchivedFile) (attachment, error) {
	st, err := os.Stat(f.Location)
	if err != nil {
		return attachment{}, err
	}
	return attachment{Size: int(st.Size()), Open: func() (io.ReadCloser, error) { return os.Open(f.Location) }}, nil
}

// remote reports whether an archived file lives in an object store (s3://,
// https://…) rather than on this machine's disk.
func remote(f runbooks.ArchivedFile) bool { return strings.Contains(f.Location, "://") }

// reportShared are the report's files the thread gets: the PDF an auditor
// reads and the CSVs a GRC tool ingests. The evidence JSON and the manifest
// stay in the archive (their hashes are in the audit event).
func reportShared(c *runbooks.Cycle) []runbooks.ArchivedFile {
	r := c.Report
	if r == nil {
		return nil
	}
	var pdfs, csvs []runbooks.ArchivedFile
	for _, f := range r.Files {
		switch {
		case strings.HasSuffix(f.Name, ".pdf"):
			pdfs = append(pdfs, f)
		case strings.HasSuffix(f.Name, ".csv"):
			csvs = append(csvs, f)
		}
	}
	return append(pdfs, csvs...) // the PDF first: it is what people open
}

// shareReport attaches the report's PDF and CSVs to the thread of ref; a
// file kept in an object store is posted as a link (its presigned URL when
// the archive gave one) instead of being downloaded and uploaded again. A
// file that cannot be read is logged and skipped; only the end of ctx is
// an error.
func (n *Notifier) shareReport(ctx context.Context, ref msgRef, c *runbooks.Cycle) error {
	var links []string
	for _, f := range reportShared(c) {
		if remote(f) {
			links = append(links, reportLink(f))
			continue
		}
		a, err := n.reportFile(ctx, f)
		if err != nil {
			n.log.Error("read report file to attach", "cycle", c.ID, "tenant", c.Tenant, "file", f.Name, "err", err)
			continue
		}
		if err := n.attach(ctx, ref, c, reportAttachment(c, f, a)); err != nil {
			return err
		}
	}
	if len(links) == 0 {
		return nil
	}
	text := "📎 Compliance report files of `" + esc(c.ID) + "` in the archive:\n" + strings.Join(links, "\n")
	err := n.poster.post(ctx, ref.Channel, "post report links", func(ctx context.Context) error {
		_, _, err := n.api.PostMessageContext(ctx, ref.Channel, slack.MsgOptionText(text, false), slack.MsgOptionTS(ref.TS))
		return err
	})
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err != nil {
		n.log.Error("Slack refused the report links; skipped", "cycle", c.ID, "tenant", c.Tenant, "err", safeErr(err))
	}
	return nil
}

// reportFile is a local report file's content: ReadReportFile's bytes
// when one is set, else the file streamed from disk.
func (n *Notifier) reportFile(ctx context.Context, f runbooks.ArchivedFile) (attachment, error) {
	if n.opts.ReadReportFile == nil {
		return localReportFile(f)
	}
	content, err := n.opts.ReadReportFile(ctx, f)
	return attachment{Content: content}, err
}

// reportAttachment names a report file in the thread; CSVs get the cycle's
// ID in front, so a downloaded hosts.csv still says which cycle it is of.
func reportAttachment(c *runbooks.Cycle, f runbooks.ArchivedFile, a attachment) attachment {
	a.Name, a.Title = f.Name, "Compliance report · "+c.ID
	if strings.HasSuffix(f.Name, ".csv") {
		a.Name = c.ID + "-report-" + f.Name
		a.Title = "Compliance evidence " + f.Name + " · " + c.ID
	}
	return a
}

// reportLink is one remote file as a thread line: a link to the presigned
// URL, or the location when there is none, with the file's hash.
func reportLink(f runbooks.ArchivedFile) string {
	l := "• `" + esc(f.Location) + "`"
	if f.URL != "" {
		l = "• <" + f.URL + "|" + esc(f.Name) + ">"
	}
	if f.SHA256 != "" {
		l += " (sha256 `" + esc(clip(f.SHA256, 16)) + "`)"
	}
	return l
}

// ErrNoThread: the cycle has no message in Slack to post into yet.
var ErrNoThread = errors.New("the cycle has no thread in Slack yet")

// RepostReport posts the cycle's report files into its thread again, for
// /patch report. It needs Run to be running (the posting queue).
func (n *Notifier) RepostReport(ctx context.Context, c *runbooks.Cycle) error {
	if c.Report == nil {
		return fmt.Errorf("cycle %s has no report", c.ID)
	}
	rec, _, found, err := loadChat(ctx, n.store, c.ID)
	if err != nil {
		return err
	}
	if !found || rec.TS == "" {
		return ErrNoThread
	}
	return n.shareReport(ctx, msgRef{Channel: rec.Channel, TS: rec.TS}, c)
}
