package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/patchgate/patchgate/state"
)

// Store wraps st so every call is timed (store_op_duration_seconds{op}) and
// every error counted by kind (store_op_errors_total{op,kind}).
func (m *Metrics) Store(st state.Store) state.Store {
	s := &store{st: st, m: m, timers: map[string]prometheus.Observer{}}
	// The label lookup costs about as much as the observation; the ops are
	// a fixed set, so it is done once here rather than on every call.
	for _, op := range storeOps {
		s.timers[op] = m.storeTime.WithLabelValues(op)
	}
	return s
}

var storeOps = []string{"get", "create", "update", "update_fenced", "delete", "list", "claim",
	"acquire_lease", "renew_lease", "release_lease", "append", "append_at", "read", "head", "streams", "verify"}

type store struct {
	st     state.Store
	m      *Metrics
	timers map[string]prometheus.Observer // read-only after Store
}

var _ state.Store = (*store)(nil)

func (s *store) observe(op string, start time.Time, err error) {
	s.timers[op].Observe(since(start))
	if err != nil {
		s.m.storeErrors.WithLabelValues(op, storeErrKind(err)).Inc()
	}
}

// storeErrKind names an error for a label without its text (which may
// carry keys and addresses).
func storeErrKind(err error) string {
	switch {
	case errors.Is(err, state.ErrUnavailable):
		return "unavailable"
	case errors.Is(err, state.ErrConflict):
		return "conflict"
	case errors.Is(err, state.ErrNotFound):
		return "not_found"
	case errors.Is(err, state.ErrLeaseHeld), errors.Is(err, state.ErrLeaseLost):
		return "lease"
	case errors.Is(err, state.ErrClosed):
		return "closed"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return "context"
	}
	return "other"
}

func (s *store) Get(ctx context.Context, key string) (state.Record, error) {
	start := time.Now()
	v, err := s.st.Get(ctx, key)
	s.observe("get", start, err)
	return v, err
}

func (s *store) Create(ctx context.Context, key string, value []byte) (state.Record, error) {
	start := time.Now()
	v, err := s.st.Create(ctx, key, value)
	s.observe("create", start, err)
	return v, err
}

func (s *store) Update(ctx context.Context, key string, value []byte, version int64) (state.Record, error) {
	start := time.Now()
	v, err := s.st.Update(ctx, key, value, version)
	s.observe("update", start, err)
	return v, err
}

func (s *store) UpdateFenced(ctx context.Context, lease state.Lease, key string, value []byte, version int64) (state.Record, error) {
	start := time.Now()
	v, err := s.st.UpdateFenced(ctx, lease, key, value, version)
	s.observe("update_fenced", start, err)
	return v, err
}

func (s *store) List(ctx context.Context, prefix string) ([]state.Record, error) {
	start := time.Now()
	v, err := s.st.List(ctx, prefix)
	s.observe("list", start, err)
	return v, err
}

func (s *store) Claim(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	start := time.Now()
	v, err := s.st.Claim(ctx, key, ttl)
	s.observe("claim", start, err)
	return v, err
}

func (s *store) AcquireLease(ctx context.Context, key, holder string, ttl time.Duration) (state.Lease, error) {
	start := time.Now()
	v, err := s.st.AcquireLease(ctx, key, holder, ttl)
	s.observe("acquire_lease", start, err)
	return v, err
}

func (s *store) RenewLease(ctx context.Context, lease state.Lease, ttl time.Duration) (state.Lease, error) {
	start := time.Now()
	v, err := s.st.RenewLease(ctx, lease, ttl)
	s.observe("renew_lease", start, err)
	return v, err
}

func (s *store) Append(ctx context.Context, stream string, data []byte) (state.Entry, error) {
	start := time.Now()
	v, err := s.st.Append(ctx, stream, data)
	s.observe("append", start, err)
	return v, err
}

func (s *store) AppendAt(ctx context.Context, stream string, seq int64, data []byte) (state.Entry, error) {
	start := time.Now()
	v, err := s.st.AppendAt(ctx, stream, seq, data)
	s.observe("append_at", start, err)
	return v, err
}

func (s *store) Read(ctx context.Context, stream string, from int64, limit int) ([]state.Entry, error) {
	start := time.Now()
	v, err := s.st.Read(ctx, stream, from, limit)
	s.observe("read", start, err)
	return v, err
}

func (s *store) Head(ctx context.Context, stream string) (state.Entry, error) {
	start := time.Now()
	v, err := s.st.Head(ctx, stream)
	s.observe("head", start, err)
	return v, err
}

func (s *store) Streams(ctx context.Context, prefix string) ([]string, error) {
	start := time.Now()
	v, err := s.st.Streams(ctx, prefix)
	s.observe("streams", start, err)
	return v, err
}

func (s *store) Verify(ctx context.Context, stream string) (state.Verification, error) {
	start := time.Now()
	v, err := s.st.Verify(ctx, stream)
	s.observe("verify", start, err)
	return v, err
}

func (s *store) Delete(ctx context.Context, key string, version int64) error {
	start := time.Now()
	err := s.st.Delete(ctx, key, version)
	s.observe("delete", start, err)
	return err
}

func (s *store) ReleaseLease(ctx context.Context, lease state.Lease) error {
	start := time.Now()
	err := s.st.ReleaseLease(ctx, lease)
	s.observe("release_lease", start, err)
	return err
}

// Close is not timed: it happens once.
func (s *store) Close() error { return s.st.Close() }
