package metrics

import (
	"context"
	"time"

	"github.com/patchgate/patchgate/state"
)

var _ state.Expiring = (*store)(nil)

// CreateTTL passes a record's lifetime through (timed as a create); over
// a store without lifetimes it is a plain Create.
func (s *store) CreateTTL(ctx context.Context, key string, value []byte, ttl time.Duration) (state.Record, error) {
	start := time.Now()
	var v state.Record
	var err error
	if x, ok := s.st.(state.Expiring); ok {
		v, err = x.CreateTTL(ctx, key, value, ttl)
	} else {
		v, err = s.st.Create(ctx, key, value)
	}
	s.observe("create", start, err)
	return v, err
}
