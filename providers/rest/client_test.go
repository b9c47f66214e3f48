package rest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

const secret = "s3cret-token-value"

func newTest(t *testing.T, h http.HandlerFunc) (*Client, *[]time.Duration) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(Config{System: "servicenow", BaseURL: srv.URL, Endpoint: "change_records.servicenow.url",
		Auth: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) }, Secrets: []string{secret},
		StepTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var waits []time.Duration
	c.Sleep = func(ctx context.Context, d time.Duration) error { waits = append(waits, d); return ctx.Err() }
	return c, &waits
}

// A 429 is retried even for a POST (the request was not processed), and a
// Retry-After longer than the budget's pause is cut to it; a 503 on a POST
// that is not marked safe to repeat is not retried.
func TestRestRetriesThrottlingButNotUnsafeWrites(t *testing.T) {
	var n atomic.Int64
	c, waits := newTest(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"ok":true}`)
	})
	var out struct{ OK bool }
	if err := c.Do(context.Background(), Request{Op: "POST /x", Method: http.MethodPost, Path: "/x", Body: map[string]string{}}, &out); err != nil || !out.OK {
		t.Fatalf("%v %+v", err, out)
	}
	if len(*waits) != 1 || (*waits)[0] > c.Budget().MaxBackoff {
		t.Errorf("waits %v: want one, at most the budget's %v", *waits, c.Budget().MaxBackoff)
	}

	n.Store(0)
	c, _ = newTest(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	err := c.Do(context.Background(), Request{Op: "POST /x", Method: http.MethodPost, Path: "/x"}, nil)
	if err == nil || n.Load() != 1 {
		t.Fatalf("%v after %d requests: want one attempt", err, n.Load())
	}
}

// A truncated answer to a read is retried; the final error is a CallError
// naming the system and operation, with the secret the peer echoed
// removed.
func TestRestTruncatedAnswerAndRedaction(t *testing.T) {
	var n atomic.Int64
	c, _ := newTest(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"result": {"token": "`+secret+`", "cut`)
	})
	var out map[string]any
	err := c.Do(context.Background(), Request{Op: "GET /y", Method: http.MethodGet, Path: "/y", Retry: true}, &out)
	ce, ok := runbooks.AsCallError(err)
	if !ok || ce.System != "servicenow" || ce.Operation != "GET /y" || ce.Attempts != runbooks.DefaultAttempts || n.Load() != int64(runbooks.DefaultAttempts) {
		t.Fatalf("%v (%d requests): want a CallError after %d attempts", err, n.Load(), runbooks.DefaultAttempts)
	}
	if !strings.Contains(err.Error(), "decode the answer") {
		t.Errorf("%v: want the decode failure named", err)
	}

	c, _ = newTest(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, `{"error":{"message":"Insufficient rights","detail":"token `+secret+` lacks itil"},"status":"failure"}`)
	})
	err = c.Do(context.Background(), Request{Op: "GET /z", Method: http.MethodGet, Path: "/z", Retry: true}, nil)
	if err == nil || strings.Contains(err.Error(), secret) || !strings.Contains(err.Error(), "Insufficient rights") || StatusOf(err) != http.StatusForbidden {
		t.Fatalf("%v: want the API's message, status 403, no secret", err)
	}
}
