package sandbox_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/bot/sandbox"
)

// With DiscardUploads the workspace counts an upload's bytes without
// keeping them: the file is shared once its count matches the declared
// length, a short body is still refused, and no copy stays in memory (a
// load harness measures the bot).
func TestUploadDiscardedKeepsOnlyTheSize(t *testing.T) {
	srv, opts := start(t, func(o *sandbox.Options) { o.DiscardUploads = true })
	api := botClient(srv, opts)
	ctx := ctxT(t)
	pdf := bytes.Repeat([]byte("%PDF-1.7 evidence "), 1000)
	sum, err := api.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: "cyc-1-evidence.pdf", FileSize: len(pdf), Reader: bytes.NewReader(pdf), Channel: channel,
	})
	if err != nil {
		t.Fatal(err)
	}
	files := srv.Files()
	if len(files) != 1 || files[0].ID != sum.ID || files[0].Content != nil {
		t.Fatalf("files = %+v, want one shared file with no content kept", files)
	}
	_, err = api.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: "hosts.csv", FileSize: 100, Reader: strings.NewReader("host,ok\n"), Channel: channel,
	})
	if err == nil || !strings.Contains(err.Error(), "invalid_arguments") {
		t.Fatalf("short body: want invalid_arguments, got %v", err)
	}
}
