package bot

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

func TestHTTPCommandAcksThenStarts(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	body := commandForm("start acme-cu", "U-REQ", "trig-1", r.sink.url("cmd1"))
	began := time.Now()
	if got := postSigned(t, r.srv.URL, PathCommands, slackSign(testSecret, time.Now(), body), body); got != http.StatusOK {
		t.Fatalf("status %d, want 200", got)
	}
	if took := time.Since(began); took > time.Second {
		t.Errorf("ack took %s", took)
	}
	rep := r.sink.next(t)
	if rep.Path != "/hooks/cmd1" || rep.Body["response_type"] != "ephemeral" || rep.Body["replace_original"] != false {
		t.Fatalf("reply %+v: want an ephemeral reply to the command's response_url", rep)
	}
	if text, _ := rep.Body["text"].(string); !strings.Contains(text, "Started cycle `acme-cu-20261122-0200-abc123`") {
		t.Fatalf("reply text %q", text)
	}
	if starts, _ := r.eng.calls(); len(starts) != 1 || starts[0] != "acme-cu/U-REQ" {
		t.Fatalf("engine starts %v, want [acme-cu/U-REQ]", starts)
	}
}

func TestHTTPClickDecidesAsTheClicker(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	body := clickForm(clickPayload(buttonValue("acme-cu-1", "nonprod", runbooks.Approve, 4), "U-ALICE", "1700000005.000001", r.sink.url("click")))
	if got := postSigned(t, r.srv.URL, PathInteractions, slackSign(testSecret, time.Now(), body), body); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	if text := r.sink.next(t).Body["text"]; text != "approve recorded." {
		t.Fatalf("reply %q", text)
	}
	_, decides := r.eng.calls()
	want := runbooks.Decision{Cycle: "acme-cu-1", Stage: "nonprod", Action: runbooks.Approve, Actor: "U-ALICE", SeenRevision: 4,
		InteractionID: "slack:1700000000.000100:1700000005.000001:U-ALICE:patchgate.approve"}
	if len(decides) != 1 || decides[0] != want {
		t.Fatalf("decisions %+v, want [%+v]", decides, want)
	}
}

// The 200 goes out while the engine is still deciding.
func TestHTTPAcksBeforeWork(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	r.eng.gate, r.eng.entered = make(chan struct{}), make(chan struct{}, 1)
	body := clickForm(clickPayload(buttonValue("c1", "nonprod", runbooks.Approve, 1), "U-ALICE", "1.1", r.sink.url("x")))
	if got := postSigned(t, r.srv.URL, PathInteractions, slackSign(testSecret, time.Now(), body), body); got != http.StatusOK {
		t.Fatalf("status %d", got)
	}
	<-r.eng.entered // the work began after the ack and is held in the engine
	if n := len(r.sink.all()); n != 0 {
		t.Fatalf("%d replies before the engine returned", n)
	}
	close(r.eng.gate)
	r.sink.next(t)
}

// Every forged, replayed, truncated, oversized or malformed request is
// refused with the right status and leaves nothing behind.
func TestHTTPRejectsWithoutSideEffects(t *testing.T) {
	r := newRig(t, HandlerOptions{Workers: 1})
	cmd := commandForm("start acme-cu", "U-REQ", "trig-bad", r.sink.url("bad"))
	click := clickForm(clickPayload(buttonValue("c1", "nonprod", runbooks.Approve, 1), "U-ALICE", "9.9", r.sink.url("bad")))
	now := time.Now()
	forged := slackSign(testSecret, now, cmd)
	forged.Set("X-Slack-Signature", "v0="+strings.Repeat("ab", 32))
	noSig := slackSign(testSecret, now, cmd)
	noSig.Del("X-Slack-Signature")
	badStamp := slackSign(testSecret, now, cmd)
	badStamp.Set("X-Slack-Request-Timestamp", "yesterday")
	huge := commandForm("halt c1 "+strings.Repeat("x", 70<<10), "U-REQ", "trig-huge", r.sink.url("bad"))
	noUser := commandForm("start acme-cu", "", "trig-nouser", r.sink.url("bad"))
	badPayload := url.Values{"payload": {`{"type":"block_actions","actions":[`}}.Encode()
	tests := []struct {
		name   string
		path   string
		hdr    http.Header
		body   string
		status int
	}{
		{"forged signature", PathCommands, forged, cmd, http.StatusUnauthorized},
		{"wrong secret", PathCommands, slackSign("not-the-secret", now, cmd), cmd, http.StatusUnauthorized},
		{"no signature", PathCommands, noSig, cmd, http.StatusUnauthorized},
		{"malformed timestamp", PathCommands, badStamp, cmd, http.StatusUnauthorized},
		{"replayed: 6 minutes old", PathCommands, slackSign(testSecret, now.Add(-6*time.Minute), cmd), cmd, http.StatusUnauthorized},
		{"future-dated: 6 minutes ahead", PathInteractions, slackSign(testSecret, now.Add(6*time.Minute), click), click, http.StatusUnauthorized},
		{"body edited after signing", PathCommands, slackSign(testSecret, now, cmd), strings.Replace(cmd, "acme-cu", "bayview-cu", 1), http.StatusUnauthorized},
		{"body truncated after signing", PathInteractions, slackSign(testSecret, now, click), click[:len(click)/2], http.StatusUnauthorized},
		{"oversized, signed", PathCommands, slackSign(testSecret, now, huge), huge, http.StatusRequestEntityTooLarge},
		// A signed interaction is acknowledged unread; the pool drops it.
		{"malformed payload, signed", PathInteractions, slackSign(testSecret, now, badPayload), badPayload, http.StatusOK},
		{"no payload, signed", PathInteractions, slackSign(testSecret, now, "a=b"), "a=b", http.StatusOK},
		{"bad form encoding, signed", PathInteractions, slackSign(testSecret, now, "payload=%zz"), "payload=%zz", http.StatusOK},
		{"command without a user, signed", PathCommands, slackSign(testSecret, now, noUser), noUser, http.StatusBadRequest},
		{"event not JSON, signed", PathEvents, slackSign(testSecret, now, "{"), "{", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := postSigned(t, r.srv.URL, tt.path, tt.hdr, tt.body); got != tt.status {
				t.Fatalf("status %d, want %d", got, tt.status)
			}
		})
	}
	t.Run("oversized, streamed without a length", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, r.srv.URL+PathCommands, strings.NewReader(huge))
		req.ContentLength = -1 // chunked: the cap must hold while reading
		req.Header = slackSign(testSecret, now, huge)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("status %d, want 413", resp.StatusCode)
		}
	})
	t.Run("truncated in transit", func(t *testing.T) {
		// Content-Length promises the whole body; the connection ends halfway.
		if got := rawPost(t, r.srv.Listener.Addr().String(), PathCommands, slackSign(testSecret, now, cmd), cmd, len(cmd)/2); got != http.StatusBadRequest {
			t.Fatalf("status %d, want 400", got)
		}
	})
	t.Run("wrong method", func(t *testing.T) {
		resp, err := http.Get(r.srv.URL + PathCommands)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Fatalf("status %d, want 405", resp.StatusCode)
		}
	})

	// A good request afterwards goes through the same single worker, so
	// once its reply is in, anything the rejects had queued would have run.
	good := commandForm("help", "U-REQ", "trig-good", r.sink.url("good"))
	if got := postSigned(t, r.srv.URL, PathCommands, slackSign(testSecret, time.Now(), good), good); got != http.StatusOK {
		t.Fatalf("good request: status %d", got)
	}
	if rep := r.sink.next(t); rep.Path != "/hooks/good" {
		t.Fatalf("a rejected request was replied to: %+v", rep)
	}
	starts, decides := r.eng.calls()
	if len(starts)+len(decides) != 0 {
		t.Fatalf("engine called by rejected requests: starts %v decides %v", starts, decides)
	}
	if claims := r.store.claimed(); len(claims) != 1 || !strings.Contains(claims[0], "trig-good") {
		t.Fatalf("claims %v, want only the good request's", claims)
	}
	if n := len(r.sink.all()); n != 1 {
		t.Fatalf("%d replies, want 1 (the good request's)", n)
	}
}

// rawPost writes a request by hand, sending only the first n bytes of body
// while Content-Length announces all of it, then half-closes.
func rawPost(t *testing.T, addr, path string, hdr http.Header, body string, n int) int {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\nConnection: close\r\n", path, addr, len(body))
	for k, vs := range hdr {
		for _, v := range vs {
			fmt.Fprintf(conn, "%s: %s\r\n", k, v)
		}
	}
	fmt.Fprintf(conn, "\r\n%s", body[:n])
	_ = conn.(*net.TCPConn).CloseWrite()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// The timestamp is checked against the handler's clock, not only the wall
// clock slack-go's verifier reads.
func TestHTTPTimestampUsesTheHandlersClock(t *testing.T) {
	skewed := time.Now().Add(6 * time.Minute)
	r := newRig(t, HandlerOptions{Now: func() time.Time { return skewed }})
	body := commandForm("help", "U1", "t", r.sink.url("x"))
	if got := postSigned(t, r.srv.URL, PathCommands, slackSign(testSecret, time.Now(), body), body); got != http.StatusUnauthorized {
		t.Fatalf("status %d, want 401 (6 minutes old by the handler's clock)", got)
	}
	if claims := r.store.claimed(); len(claims) != 0 {
		t.Fatalf("claims %v", claims)
	}
}

// Slack's retries (X-Slack-Retry-Num) and a copy of the same click at
// another replica behind the same app are handled once.
func TestHTTPRetriesHandledOnce(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	other := NewHandler(r.eng, r.store, NewResponseURLReplier(r.sink.srv.Client(), nil), HandlerOptions{SigningSecret: testSecret, Log: inboundLog(t)})
	otherSrv := newTestServer(t, other.HTTPHandler())
	stopOther := runUntilCleanup(t, other)

	click := clickForm(clickPayload(buttonValue("c1", "nonprod", runbooks.Approve, 1), "U-ALICE", "5.5", r.sink.url("click")))
	cmd := commandForm("start acme-cu", "U-REQ", "trig-retry", r.sink.url("cmd"))
	for i, base := range []string{r.srv.URL, r.srv.URL, otherSrv, r.srv.URL} {
		for _, req := range []struct{ path, body string }{{PathInteractions, click}, {PathCommands, cmd}} {
			hdr := slackSign(testSecret, time.Now(), req.body)
			if i > 0 {
				hdr.Set("X-Slack-Retry-Num", fmt.Sprint(i))
				hdr.Set("X-Slack-Retry-Reason", "http_timeout")
			}
			if got := postSigned(t, base, req.path, hdr, req.body); got != http.StatusOK {
				t.Fatalf("delivery %d to %s: status %d", i, req.path, got)
			}
		}
	}
	waitFor(t, "8 claims", func() bool { return len(r.store.claimed()) == 8 })
	r.stop()
	stopOther()
	starts, decides := r.eng.calls()
	if len(starts) != 1 || len(decides) != 1 {
		t.Fatalf("starts %v decides %v, want one each", starts, decides)
	}
	if n := len(r.sink.all()); n != 2 {
		t.Fatalf("%d replies, want 2", n)
	}
}

func TestHTTPEventsChallenge(t *testing.T) {
	r := newRig(t, HandlerOptions{})
	body := `{"token":"x","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	hdr := slackSign(testSecret, time.Now(), body)
	hdr.Set("Content-Type", "application/json")
	resp := postRaw(t, r.srv.URL+PathEvents, hdr, body)
	if resp.status != http.StatusOK || resp.body != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Fatalf("challenge answered %d %q", resp.status, resp.body)
	}
	// Unsigned, the challenge is not answered.
	hdr.Set("X-Slack-Signature", "v0="+strings.Repeat("00", 32))
	if resp := postRaw(t, r.srv.URL+PathEvents, hdr, body); resp.status != http.StatusUnauthorized || strings.Contains(resp.body, "3eZb") {
		t.Fatalf("forged challenge answered %d %q", resp.status, resp.body)
	}
	// Other events are acknowledged and dropped.
	ev := `{"type":"event_callback","event_id":"Ev1","event":{"type":"app_mention"}}`
	if resp := postRaw(t, r.srv.URL+PathEvents, slackSign(testSecret, time.Now(), ev), ev); resp.status != http.StatusOK {
		t.Fatalf("event: %d", resp.status)
	}
}

func TestHTTPBusyAndStopping(t *testing.T) {
	r := newRig(t, HandlerOptions{Workers: 1, QueueSize: 1, QueueWait: 50 * time.Millisecond})
	r.eng.gate, r.eng.entered = make(chan struct{}), make(chan struct{}, 8)
	send := func(ts string) int {
		body := clickForm(clickPayload(buttonValue("c1", "nonprod", runbooks.Approve, 1), "U-ALICE", ts, r.sink.url("x")))
		return postSigned(t, r.srv.URL, PathInteractions, slackSign(testSecret, time.Now(), body), body)
	}
	if got := send("1"); got != http.StatusOK { // taken by the worker
		t.Fatalf("first: %d", got)
	}
	<-r.eng.entered
	if got := send("2"); got != http.StatusOK { // waits in the queue
		t.Fatalf("second: %d", got)
	}
	if got := send("3"); got != http.StatusServiceUnavailable { // no room
		t.Fatalf("third: %d, want 503", got)
	}
	// Shutdown: intake stops at once, queued work still finishes.
	r.cancel()
	waitFor(t, "intake to stop", func() bool { return send("4") == http.StatusServiceUnavailable })
	close(r.eng.gate)
	<-r.done
	if _, decides := r.eng.calls(); len(decides) != 2 {
		t.Fatalf("%d decisions after drain, want 2 (the running and the queued one)", len(decides))
	}
}
