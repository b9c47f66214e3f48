package metrics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/patchgate/patchgate/internal/httpserve"
	"github.com/patchgate/patchgate/state"
)

// Check is one readiness condition: nil from Fn means ready.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// StoreCheck is ready when the store answers a cheap read (a key that is
// never written, so ErrNotFound is the healthy answer).
func StoreCheck(st state.Store) Check {
	return Check{Name: "store", Fn: func(ctx context.Context) error {
		_, err := st.Get(ctx, "patchgate/readyz")
		if err == nil || errors.Is(err, state.ErrNotFound) {
			return nil
		}
		return err
	}}
}

// ConnectedCheck is ready while connected() holds (a Socket Mode session).
func ConnectedCheck(name string, connected func() bool) Check {
	return Check{Name: name, Fn: func(context.Context) error {
		if !connected() {
			return errors.New("not connected")
		}
		return nil
	}}
}

// checkTimeout bounds one readiness check, so a hung store answers 503
// well within a kubelet probe's timeout.
const checkTimeout = 2 * time.Second

// Mux serves /metrics, /healthz (the process is alive and serving HTTP)
// and /readyz (every check passes; 503 naming the failures otherwise).
// Failure details go to log, not to the response, which anyone who can
// reach the port may read.
func (m *Metrics) Mux(log *slog.Logger, checks ...Check) *http.ServeMux {
	if log == nil {
		log = slog.Default()
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", m.Handler())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		var b strings.Builder
		ready := true
		for _, c := range checks {
			ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
			err := c.Fn(ctx)
			cancel()
			if err != nil {
				ready = false
				log.Warn("readiness check failed", "check", c.Name, "err", err)
				fmt.Fprintf(&b, "%s: failed\n", c.Name)
				continue
			}
			fmt.Fprintf(&b, "%s: ok\n", c.Name)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprint(w, b.String())
	})
	return mux
}

// Serve listens on addr and serves h within limits until ctx ends, then
// shuts down within 5 seconds. ready, if set, gets the bound address (addr
// may be ":0").
func Serve(ctx context.Context, addr string, h http.Handler, limits httpserve.Limits, ready func(net.Addr)) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("observability listen on %s: %w", addr, err)
	}
	if ready != nil {
		ready(l.Addr())
	}
	srv := httpserve.New("", h, limits)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	select {
	case err := <-done:
		return fmt.Errorf("observability server on %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("observability server shutdown: %w", err)
	}
	<-done
	return nil
}
