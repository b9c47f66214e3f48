package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/bot/sandbox"
	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/internal/testkit"
)

// slowClientsTimeout is every HTTP timeout of the server under test; the
// bounds below are generous multiples of it, so a loaded machine does not
// fail the test, while a server without the limits keeps the connections
// open well past them.
const slowClientsTimeout = time.Second

// TestSlowClientsDroppedWhileValidRequestsServed runs `serve` with the
// Slack HTTP transport and the observability endpoint, opens real TCP
// connections that send their headers and then trickle the body a byte at
// a time (and some that trickle their headers, or send nothing), and
// checks every one is closed by the server within a few timeouts while
// signed Slack requests and /healthz are answered meanwhile.
func TestSlowClientsDroppedWhileValidRequestsServed(t *testing.T) {
	slackAddr, obsAddr, secret := serveWithSlackHTTP(t)

	type slow struct {
		name   string
		closed chan time.Duration
	}
	var conns []slow
	for _, target := range []struct{ name, addr, head string }{
		{"slack body", slackAddr, "POST /slack/commands HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 4096\r\n\r\n"},
		{"slack event body", slackAddr, "POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n"},
		{"observability body", obsAddr, "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n"},
		{"slack headers", slackAddr, "POST /slack/commands HTTP/1.1\r\nHost: x\r\n"},
		{"observability headers", obsAddr, "GET /metrics HTTP/1.1\r\n"},
		{"slack silent", slackAddr, ""},
	} {
		for i := range 10 {
			c := slow{name: fmt.Sprintf("%s #%d", target.name, i), closed: make(chan time.Duration, 1)}
			conns = append(conns, c)
			trickle(t, target.addr, target.head, c.closed)
		}
	}

	// While they hang on, valid requests are served: again and again until
	// the server drops the first of them.
	served := 0
	testkit.Poll(8*slowClientsTimeout, func() bool {
		i := served
		served++
		body := `{"type":"url_verification","challenge":"still-serving-` + fmt.Sprint(i) + `"}`
		req, err := http.NewRequest(http.MethodPost, "http://"+slackAddr+"/slack/events", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = sandbox.SignedHeaders(secret, time.Now(), body)
		req.Header.Set("Content-Type", "application/json")
		got := do(t, req)
		if !strings.Contains(got, "still-serving-"+fmt.Sprint(i)) {
			t.Errorf("signed url_verification while slow clients hang on: %q", got)
		}
		hreq, _ := http.NewRequest(http.MethodGet, "http://"+obsAddr+"/healthz", nil)
		if got := do(t, hreq); !strings.Contains(got, "ok") {
			t.Errorf("/healthz while slow clients hang on: %q", got)
		}
		for _, c := range conns {
			if len(c.closed) > 0 { // closed, not yet read
				return served >= 3
			}
		}
		return false
	})
	if served < 3 {
		t.Errorf("%d rounds of valid requests before the first slow client was dropped, want 3 or more", served)
	}

	bound := 8 * slowClientsTimeout
	deadline := time.After(bound + 2*time.Second)
	for _, c := range conns {
		select {
		case d := <-c.closed:
			if d > bound {
				t.Errorf("%s: closed after %v, want within %v", c.name, d, bound)
			}
		case <-deadline:
			t.Fatalf("%s: still open after %v (timeouts %v)", c.name, bound, slowClientsTimeout)
		}
	}
}

// TestSlowClientsHeaderLimit: a request whose headers exceed
// http.max_header_bytes is refused (431) rather than buffered.
func TestSlowClientsHeaderLimit(t *testing.T) {
	slackAddr, _, _ := serveWithSlackHTTP(t)
	req, err := http.NewRequest(http.MethodPost, "http://"+slackAddr+"/slack/events", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("X-Padding", strings.Repeat("a", 64<<10))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("64 KiB of headers with max_header_bytes 8192: %s, want 431", resp.Status)
	}
}

// serveWithSlackHTTP starts serve on the HTTP transport against the Slack
// sandbox with every timeout at slowClientsTimeout and returns the Slack
// and observability addresses and the signing secret.
func serveWithSlackHTTP(t *testing.T) (slackAddr, obsAddr, secret string) {
	t.Helper()
	sbOpts := sandbox.DefaultOptions()
	sbOpts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	sb := sandbox.New(sbOpts)
	_, err := sb.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	secret = "slow-clients-signing-secret"
	dir := t.TempDir()
	base, err := os.ReadFile(cliConfig(t, dir, 0))
	if err != nil {
		t.Fatal(err)
	}
	yaml := string(base) + fmt.Sprintf(`slack:
  transport: http
  bot_token: env:SLOW_BOT_TOKEN
  signing_secret: env:SLOW_SIGNING_SECRET
  channel: C0CYCLES01
  listen: 127.0.0.1:0
  api_url: %q
http: {read_header_timeout: %s, read_timeout: %s, write_timeout: %s, idle_timeout: %s, max_header_bytes: 8192}
`, sb.APIURL(), slowClientsTimeout, slowClientsTimeout, 2*slowClientsTimeout, slowClientsTimeout)
	cfg, err := config.Parse("slow.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	secrets := map[string]string{"SLOW_BOT_TOKEN": sbOpts.BotToken, "SLOW_SIGNING_SECRET": secret}
	ctx, cancel := context.WithCancel(context.Background())
	slackBound, obsBound := make(chan net.Addr, 1), make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, wiring{
			log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
			lookup: func(k string) (string, bool) { v, ok := secrets[k]; return v, ok }, reports: dir,
			metricsListen: "127.0.0.1:0", metricsReady: func(a net.Addr) { obsBound <- a },
			slackReady: func(a net.Addr) { slackBound <- a },
		})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not return")
		}
	})
	for _, ch := range []chan net.Addr{slackBound, obsBound} {
		select {
		case a := <-ch:
			if ch == slackBound {
				slackAddr = a.String()
			} else {
				obsAddr = a.String()
			}
		case err := <-done:
			t.Fatalf("serve returned before listening: %v", err)
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not start listening")
		}
	}
	return slackAddr, obsAddr, secret
}

// trickle connects to addr, sends head, then one byte every 100 ms until
// the server closes the connection; closed gets how long that took.
func trickle(t *testing.T, addr, head string, closed chan<- time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	start := time.Now()
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go func() {
		_, _ = io.Copy(io.Discard, conn) // the server's answer, if any, then EOF or reset
		closed <- time.Since(start)
		close(stop)
	}()
	if head == "" {
		return
	}
	go func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte("a")); err != nil {
					return
				}
			}
		}
	}()
}

func do(t *testing.T, req *http.Request) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.Status + " " + string(b)
}
