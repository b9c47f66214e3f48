package sandbox_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/patchgate/patchgate/bot/sandbox"
)

type uiState struct {
	Version uint64 `json:"version"`
	User    string `json:"user"`
	Channel string `json:"channel"`
	Users   []struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"users"`
	Items []struct {
		TS        string `json:"ts"`
		Ephemeral bool   `json:"ephemeral"`
		Edited    int    `json:"edited"`
		HTML      string `json:"html"`
	} `json:"items"`
}

func getState(t *testing.T, srv *sandbox.Server, query string) uiState {
	t.Helper()
	resp, err := http.Get(srv.URL() + "/ui/state?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st uiState
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

func postUI(t *testing.T, srv *sandbox.Server, path string, body any) map[string]any {
	t.Helper()
	resp, err := http.Post(srv.URL()+path, "application/json", strings.NewReader(mustJSON(t, body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func get(t *testing.T, u string) (int, string, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

func TestPageIsSelfContained(t *testing.T) {
	srv, _ := start(t, nil)
	code, ct, page := get(t, srv.URL()+"/")
	if code != 200 || !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET / = %d %s", code, ct)
	}
	for _, want := range []string{`<script src="/static/app.js"></script>`, `id="user-select"`, `id="command-input"`, `id="messages"`, `id="channels"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	for _, asset := range []string{"/", "/static/app.js", "/static/app.css"} {
		code, _, body := get(t, srv.URL()+asset)
		if code != 200 {
			t.Errorf("%s: %d", asset, code)
		}
		// The demo must work offline: nothing may point off the box.
		if strings.Contains(body, "http://") || strings.Contains(body, "https://") || strings.Contains(body, "//cdn") {
			t.Errorf("%s refers to an external URL", asset)
		}
	}
	if _, _, js := get(t, srv.URL()+"/static/app.js"); !strings.Contains(js, `"/ui/state?"`) || !strings.Contains(js, `"/ui/click"`) {
		t.Error("app.js does not poll /ui/state or post /ui/click")
	}
}

func TestUIStateRendersWhatEachUserSees(t *testing.T) {
	srv, opts := start(t, nil)
	api := botClient(srv, opts)
	ctx := ctxT(t)
	_, ts, err := api.PostMessageContext(ctx, channel, slack.MsgOptionBlocks(approvalBlocks("awaiting")...))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessageContext(ctx, channel, slack.MsgOptionText("gate *inventory* passed: `812/812` <script>x</script>", true), slack.MsgOptionTS(ts)); err != nil {
		t.Fatal(err)
	}
	csv := []byte("host,cloud\nweb-1,aws\n")
	if _, err := api.UploadFileContext(ctx, slack.UploadFileParameters{Filename: "hosts.csv", FileSize: len(csv), Reader: bytes.NewReader(csv), Channel: channel, ThreadTimestamp: ts, Title: "Hosts"}); err != nil {
		t.Fatal(err)
	}
	if _, err := api.PostEphemeralContext(ctx, channel, sre, slack.MsgOptionText("only for sam", false)); err != nil {
		t.Fatal(err)
	}

	st := getState(t, srv, url.Values{"user": {sre}, "channel": {channel}}.Encode())
	if st.User != sre || st.Channel != channel || len(st.Users) != 5 {
		t.Fatalf("state header = %+v", st)
	}
	if len(st.Items) != 2 || st.Items[0].TS != ts || st.Items[1].Ephemeral != true {
		t.Fatalf("items = %+v", st.Items)
	}
	root := st.Items[0].HTML
	for _, want := range []string{
		`data-ts="` + ts + `"`,
		`<div class="b-header"`, `Patch cycle acme-cu`,
		`<b>Status:</b>`, `@rita.requester`, `@sre`, `<div class="b-field"><b>AWS</b><br>812 hosts</div>`,
		`<hr class="b-divider"`,
		`class="btn btn-primary" data-action-id="approve"`, `data-value="cyc-1|staging|v3"`,
		`class="btn btn-danger" data-action-id="reject"`,
		`<details class="thread" data-thread-ts="` + ts + `"><summary>2 replies</summary>`,
		`gate <b>inventory</b> passed: <code>812/812</code> &lt;script&gt;x&lt;/script&gt;`,
		`class="file"`, `/files/F`, `hosts.csv`,
	} {
		if !strings.Contains(root, want) {
			t.Errorf("rendered root message lacks %s\n%s", want, root)
		}
	}
	if strings.Contains(root, "<script>") {
		t.Error("message text reached the page unescaped")
	}
	if !strings.Contains(st.Items[1].HTML, "Only visible to you") || !strings.Contains(st.Items[1].HTML, "only for sam") {
		t.Errorf("ephemeral item = %s", st.Items[1].HTML)
	}
	// The requester does not see Sam's ephemeral.
	if other := getState(t, srv, url.Values{"user": {requester}}.Encode()); len(other.Items) != 1 {
		t.Errorf("requester sees %d items, want 1", len(other.Items))
	}
}

func TestUIClickReachesTheBotAndTheUpdateShows(t *testing.T) {
	srv, opts := start(t, nil)
	api := botClient(srv, opts)
	_, ts, err := api.PostMessageContext(ctxT(t), channel, slack.MsgOptionBlocks(approvalBlocks("awaiting")...))
	if err != nil {
		t.Fatal(err)
	}
	// A minimal bot: ack at once, then edit the message that was clicked.
	sm := runSocket(t, srv, opts)
	clicks := make(chan slack.InteractionCallback, 1)
	go func() {
		for evt := range sm.Events {
			if evt.Type != socketmode.EventTypeInteractive {
				continue
			}
			_ = sm.Ack(*evt.Request)
			cb := evt.Data.(slack.InteractionCallback)
			_, _, _, _ = api.UpdateMessageContext(ctxT(t), cb.Channel.ID, cb.Container.MessageTs,
				slack.MsgOptionBlocks(approvalBlocks(fmt.Sprintf("approved by <@%s> (1/2)", cb.User.ID))...))
			clicks <- cb
			return
		}
	}()
	before := getState(t, srv, "user="+sre)

	// The page's long poll is waiting when the click lands.
	polled := make(chan uiState, 1)
	go func() { polled <- getState(t, srv, fmt.Sprintf("user=%s&since=%d", sre, before.Version)) }()
	out := postUI(t, srv, "/ui/click", map[string]string{"user": sre, "channel": channel, "ts": ts, "action_id": "approve", "value": "cyc-1|staging|v3"})
	if out["ok"] != true {
		t.Fatalf("click: %v", out)
	}
	select {
	case cb := <-clicks:
		if cb.User.ID != sre || cb.ActionCallback.BlockActions[0].ActionID != "approve" {
			t.Errorf("bot saw %+v", cb)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the bot never got the click")
	}
	var after uiState
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); {
		after = <-polled
		if after.Items[0].Edited == 1 {
			break
		}
		go func() { polled <- getState(t, srv, fmt.Sprintf("user=%s&since=%d", sre, after.Version)) }()
	}
	if after.Items[0].TS != ts || after.Items[0].Edited != 1 || !strings.Contains(after.Items[0].HTML, "approved by") ||
		!strings.Contains(after.Items[0].HTML, "@sam.sre") || !strings.Contains(after.Items[0].HTML, "(edited)") {
		t.Errorf("message after the click: %+v", after.Items[0])
	}
}

func TestUICommand(t *testing.T) {
	srv, opts := start(t, func(o *sandbox.Options) { o.AckTimeout = 300 * time.Millisecond })

	// Nobody connected: the page reports Slack's timeout wording.
	out := postUI(t, srv, "/ui/command", map[string]string{"user": requester, "channel": channel, "text": "/patch status"})
	if out["ok"] != false || !strings.Contains(fmt.Sprint(out["error"]), `"operation_timeout"`) {
		t.Errorf("no client: %v", out)
	}
	out = postUI(t, srv, "/ui/command", map[string]string{"user": requester, "channel": channel, "text": "/slap otto"})
	if out["ok"] != false || !strings.Contains(fmt.Sprint(out["error"]), "/slap is not a valid command") {
		t.Errorf("unknown command: %v", out)
	}

	sm := runSocket(t, srv, opts)
	got := make(chan slack.SlashCommand, 4)
	go func() {
		for evt := range sm.Events {
			if evt.Type == socketmode.EventTypeSlashCommand {
				_ = sm.Ack(*evt.Request)
				got <- evt.Data.(slack.SlashCommand)
			}
		}
	}()
	next := func() slack.SlashCommand {
		for {
			select {
			case c := <-got:
				if c.Text == "start acme-cu" {
					return c
				}
			case <-time.After(5 * time.Second):
				t.Fatal("slash command never arrived")
			}
		}
	}
	out = postUI(t, srv, "/ui/command", map[string]string{"user": requester, "channel": channel, "text": "/patch start acme-cu"})
	if out["ok"] != true {
		t.Fatalf("command: %v", out)
	}
	if c := next(); c.Command != "/patch" || c.UserID != requester {
		t.Errorf("command = %+v", c)
	}
}

func TestUIStateLongPollWaitsForAChange(t *testing.T) {
	srv, opts := start(t, nil)
	v := getState(t, srv, "").Version
	polled := make(chan uiState, 1)
	go func() { polled <- getState(t, srv, fmt.Sprintf("since=%d", v)) }()
	select {
	case st := <-polled:
		t.Fatalf("long poll answered without a change: %+v", st)
	case <-time.After(200 * time.Millisecond):
	}
	if _, _, err := botClient(srv, opts).PostMessageContext(ctxT(t), channel, slack.MsgOptionText("hello", false)); err != nil {
		t.Fatal(err)
	}
	select {
	case st := <-polled:
		if st.Version <= v || len(st.Items) != 1 {
			t.Errorf("after the post: %+v", st)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("long poll did not wake on a post")
	}
}
