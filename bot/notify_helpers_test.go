package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/state"
	"github.com/patchgate/patchgate/state/boltstore"
	"github.com/slack-go/slack"
)

// recCall is one request the test Slack server answered.
type recCall struct {
	Method   string // chat.postMessage, chat.update, files.getUploadURLExternal, upload, files.completeUploadExternal
	Channel  string
	TS       string // the message a chat.update changes
	ThreadTS string
	Text     string
	Blocks   string
	File     string // the file's name (getUploadURLExternal) or id
	Content  []byte // what was uploaded
	Token    string
	At       time.Time
}

// recAPI is the real slack-go client talking to a recording Slack server
// that speaks the Web API methods the notifier calls, files v2 included.
// fail, if set, may fail a request: it sees the method and how many
// requests of it came before, and returns nil to let it through.
type recAPI struct {
	*slack.Client
	srv *httptest.Server

	mu     sync.Mutex
	calls  []recCall
	counts map[string]int
	seq    int
	fail   func(method string, n int) *slackFailure
}

// slackFailure is how the server fails a request: an HTTP status (with
// Retry-After on a 429), or ok:false with a Slack error code.
type slackFailure struct {
	Status     int
	RetryAfter string
	Err        string
}

var _ API = (*recAPI)(nil)

// testToken is the bot token the tests use; it must never reach a log.
const testToken = "xoxb-1111-2222-secretsecretsecret"

func newRecAPI(t testing.TB) *recAPI {
	t.Helper()
	a := &recAPI{counts: map[string]int{}}
	a.srv = httptest.NewServer(http.HandlerFunc(a.serve))
	t.Cleanup(a.srv.Close)
	a.Client = slack.New(testToken, slack.OptionAPIURL(a.srv.URL+"/api/"))
	return a
}

func (a *recAPI) serve(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	c := recCall{Method: method, Token: strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "), At: time.Now()}
	if strings.HasPrefix(r.URL.Path, "/upload/") {
		c.Method, c.File = "upload", strings.TrimPrefix(r.URL.Path, "/upload/")
		f, _, err := r.FormFile("file")
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c.Content, _ = io.ReadAll(f)
	} else if err := r.ParseForm(); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if c.Token == "" {
		c.Token = r.Form.Get("token")
	}
	c.Channel = r.Form.Get("channel") + r.Form.Get("channel_id")
	c.TS, c.ThreadTS, c.Text, c.Blocks = r.Form.Get("ts"), r.Form.Get("thread_ts"), r.Form.Get("text"), r.Form.Get("blocks")

	a.mu.Lock()
	n := a.counts[c.Method]
	a.counts[c.Method]++
	var fail *slackFailure
	if a.fail != nil {
		fail = a.fail(c.Method, n)
	}
	if fail == nil {
		a.seq++
	}
	seq := a.seq
	a.mu.Unlock()

	w.Header().Set("Content-Type", "application/json")
	switch {
	case fail != nil && fail.Status != 0:
		if fail.RetryAfter != "" {
			w.Header().Set("Retry-After", fail.RetryAfter)
		}
		w.WriteHeader(fail.Status)
		return
	case fail != nil:
		fmt.Fprintf(w, `{"ok":false,"error":%q}`, fail.Err)
		return
	}
	var resp any
	switch c.Method {
	case "chat.postMessage":
		c.TS = fmt.Sprintf("1763776800.%06d", seq)
		resp = map[string]any{"ok": true, "channel": c.Channel, "ts": c.TS}
	case "chat.update":
		resp = map[string]any{"ok": true, "channel": c.Channel, "ts": c.TS, "text": c.Text}
	case "files.getUploadURLExternal":
		c.File = r.Form.Get("filename")
		id := fmt.Sprintf("F%06d", seq)
		resp = map[string]any{"ok": true, "upload_url": a.srv.URL + "/upload/" + id, "file_id": id}
	case "upload":
		_, _ = w.Write([]byte("OK"))
	case "files.completeUploadExternal":
		var files []map[string]any
		_ = json.Unmarshal([]byte(r.Form.Get("files")), &files)
		resp = map[string]any{"ok": true, "files": files}
	default:
		resp = map[string]any{"ok": true}
	}
	a.mu.Lock()
	a.calls = append(a.calls, c)
	a.mu.Unlock()
	if resp != nil {
		_ = json.NewEncoder(w).Encode(resp)
	}
}

// Calls returns the answered requests so far: of one method, or every
// Web API call (not the file bytes' upload, which is no API method).
func (a *recAPI) Calls(method string) []recCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []recCall
	for _, c := range a.calls {
		if c.Method == method || (method == "" && c.Method != "upload") {
			out = append(out, c)
		}
	}
	return out
}

// uploads are the files shared into threads (each the three requests of
// files v2), with the name asked for and the bytes sent.
func (a *recAPI) uploads() []recCall {
	a.mu.Lock()
	defer a.mu.Unlock()
	var (
		out  []recCall
		name string
		body []byte
	)
	for _, c := range a.calls {
		switch c.Method {
		case "files.getUploadURLExternal":
			name = c.File
		case "upload":
			body = c.Content
		case "files.completeUploadExternal":
			c.File, c.Content = name, body
			out = append(out, c)
		}
	}
	return out
}

// roots and thread split the postMessage calls.
func (a *recAPI) roots() []recCall {
	var out []recCall
	for _, c := range a.Calls("chat.postMessage") {
		if c.ThreadTS == "" {
			out = append(out, c)
		}
	}
	return out
}

func (a *recAPI) thread() []recCall {
	var out []recCall
	for _, c := range a.Calls("chat.postMessage") {
		if c.ThreadTS != "" {
			out = append(out, c)
		}
	}
	return out
}

// openBolt opens a bbolt store in a temp dir.
func openBolt(t testing.TB) state.Store {
	t.Helper()
	st, err := boltstore.Open(t.TempDir() + "/state.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// quietLog discards, or writes to w when given.
func quietLog(w io.Writer) *slog.Logger {
	if w == nil {
		w = io.Discard
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startNotifier runs n until the test ends.
func startNotifier(t testing.TB, n *Notifier) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("notifier run: %v", err)
		}
	})
	// Run has started once it serves a queue.
	testkit.Eventually(t, 10*time.Second, "the notifier to run", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return n.running
	})
}

// waitIdle waits until every notifier has nothing left to do.
func waitIdle(t testing.TB, ns ...*Notifier) {
	t.Helper()
	testkit.Eventually(t, 20*time.Second, "every notifier to be idle", func() bool {
		for _, n := range ns {
			if !n.idle() {
				return false
			}
		}
		return true
	})
}

// blocksText is every text of a recorded message's blocks, joined.
func blocksText(t testing.TB, blocks string) string {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(blocks), &v); err != nil {
		t.Fatalf("blocks are not JSON: %v", err)
	}
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if s, ok := v["text"].(string); ok {
				out = append(out, s)
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(v)
	return strings.Join(out, "\n")
}

// readChat reads a cycle's chat record.
func readChat(t testing.TB, st state.Store, id string) chatRecord {
	t.Helper()
	rec, _, found, err := loadChat(context.Background(), st, id)
	if err != nil || !found {
		t.Fatalf("chat record of %s: found %v, %v", id, found, err)
	}
	return rec
}
