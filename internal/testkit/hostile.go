package testkit

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Hostile is a peer in front of a fake API: the requests Match picks meet
// the misbehaviour set with its methods, the way a broken endpoint or the
// proxy before it treats them; every other request passes to the fake.
// Start it with NewHostile; it passes everything until told otherwise.
type Hostile struct {
	URL string
	// Match picks the requests to misbehave on (nil: every request).
	Match func(*http.Request) bool

	proxy *httputil.ReverseProxy

	mu     sync.Mutex
	mode   hostileMode
	storm  int // throttled answers left in a storm
	answer http.HandlerFunc
	edit   func(n int, body []byte) []byte
	hits   int
	held   []net.Conn
}

type hostileMode int

const (
	hostilePass hostileMode = iota
	hostileBlackHole
	hostileHTML
	hostileStorm
	hostileTruncate
	hostileEdit
)

// NewHostile starts a hostile peer in front of upstream (a fake's base URL);
// it closes, and lets go of the connections it holds, when the test ends.
func NewHostile(t testing.TB, upstream string) *Hostile {
	t.Helper()
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	h := &Hostile{proxy: httputil.NewSingleHostReverseProxy(u)}
	srv := httptest.NewServer(h)
	h.URL = srv.URL
	// Links the fake hands out (an operation to poll, a next page) lead
	// back through the peer, as they would through a proxy.
	h.proxy.ModifyResponse = func(resp *http.Response) error {
		for k, vs := range resp.Header {
			for i, v := range vs {
				resp.Header[k][i] = strings.ReplaceAll(v, upstream, h.URL)
			}
		}
		return nil
	}
	t.Cleanup(func() {
		h.mu.Lock()
		for _, c := range h.held {
			c.Close()
		}
		h.mu.Unlock()
		srv.Close()
	})
	return h
}

// BlackHole accepts the picked requests and never answers them.
func (h *Hostile) BlackHole() { h.set(hostileBlackHole) }

// HTMLError answers the picked requests 500 with a proxy's HTML page.
func (h *Hostile) HTMLError() { h.set(hostileHTML) }

// Storm answers the next n picked requests with throttled (the vendor's
// throttling answer), then lets them pass again.
func (h *Hostile) Storm(n int, throttled http.HandlerFunc) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mode, h.storm, h.answer = hostileStorm, n, throttled
}

// Truncate passes the picked requests to the fake but sends only half of
// its answer's body (the header still announces all of it) and closes the
// connection.
func (h *Hostile) Truncate() { h.set(hostileTruncate) }

// Edit passes the picked requests to the fake and answers with edit's
// rewrite of its body; n counts the picked requests from 1.
func (h *Hostile) Edit(edit func(n int, body []byte) []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mode, h.edit = hostileEdit, edit
}

// Pass lets every request through again.
func (h *Hostile) Pass() { h.set(hostilePass) }

// Hits is how many requests Match picked.
func (h *Hostile) Hits() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.hits
}

// StormLeft is how many throttled answers the storm has left.
func (h *Hostile) StormLeft() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.storm
}

func (h *Hostile) set(m hostileMode) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.mode = m
}

func (h *Hostile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if h.Match != nil && !h.Match(r) {
		h.proxy.ServeHTTP(w, r)
		return
	}
	h.mu.Lock()
	h.hits++
	n, mode := h.hits, h.mode
	if mode == hostileStorm {
		if h.storm > 0 {
			h.storm--
		} else {
			mode = hostilePass
		}
	}
	answer, edit := h.answer, h.edit
	h.mu.Unlock()
	switch mode {
	case hostilePass:
		h.proxy.ServeHTTP(w, r)
	case hostileBlackHole:
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		h.mu.Lock()
		h.held = append(h.held, c)
		h.mu.Unlock()
	case hostileHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, "<html><head><title>500 Internal Server Error</title></head><body><h1>Internal Server Error</h1><hr><p>nginx</p></body></html>")
	case hostileStorm:
		answer(w, r)
	case hostileTruncate, hostileEdit:
		rec := httptest.NewRecorder()
		h.proxy.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if mode == hostileEdit {
			body = edit(n, bytes.Clone(body))
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rec.Code)
		if mode == hostileEdit {
			_, _ = w.Write(body)
			return
		}
		_, _ = w.Write(body[:len(body)/2])
		// Aborting closes the connection short of the announced length.
		panic(http.ErrAbortHandler)
	}
}
