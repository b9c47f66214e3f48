package bot

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
	"github.com/slack-go/slack"
)

// attachment is a file posted into a cycle's thread.
type attachment struct {
	Name    string
	Title   string
	Content []byte
	// Open, when set instead of Content, gives the Size bytes afresh for
	// each upload attempt (a file on disk).
	Open func() (io.ReadCloser, error)
	Size int
}

// findingsCSV lists findings as host id, name, reason, one host a row. A
// cell that a spreadsheet would read as a formula gets a leading quote.
func findingsCSV(fs []runbooks.Finding) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"host_id", "host_name", "reason"})
	for _, f := range fs {
		_ = w.Write([]string{csvCell(f.HostID), csvCell(f.HostName), csvCell(f.Reason)})
	}
	w.Flush()
	return buf.Bytes()
}

func csvCell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// findingsFile names the CSV of one failure's hosts.
func findingsFile(c *runbooks.Cycle, stage, what string, fs []runbooks.Finding) attachment {
	return attachment{
		Name:    fmt.Sprintf("%s-%s-%s-hosts.csv", c.ID, stage, what),
		Title:   fmt.Sprintf("%s · %s: %s", stage, what, nHosts(len(fs))),
		Content: findingsCSV(fs),
	}
}

// upload posts a file into the thread of ref with the files v2 flow.
func upload(ctx context.Context, api API, ref msgRef, f attachment) error {
	var (
		r    io.Reader = bytes.NewReader(f.Content) // new per attempt, so a retry sends it whole
		size           = len(f.Content)
	)
	if f.Open != nil {
		rc, err := f.Open()
		if err != nil {
			return fmt.Errorf("open %s to upload: %w", f.Name, err)
		}
		defer rc.Close()
		r, size = rc, f.Size
	}
	if size == 0 {
		return nil // files v2 refuses empty files
	}
	_, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename:        f.Name,
		Title:           f.Title,
		FileSize:        size,
		Reader:          r,
		Channel:         ref.Channel,
		ThreadTimestamp: ref.TS,
	})
	if err != nil {
		return fmt.Errorf("upload %s (%d bytes) to thread %s: %w", f.Name, size, ref.TS, err)
	}
	return nil
}
