package schedule

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/state"
)

// lastRecord is "schedule/<job>/last": the latest time a leader finished
// considering the job's firings up to. It outlives restarts, so catch-up is
// measured from what was really considered, not from when a process began.
type lastRecord struct {
	Last    time.Time `json:"last"`
	Replica string    `json:"replica"`
}

func lastKey(job string) string { return "schedule/" + job + "/last" }

func claimKey(job string, at time.Time) string {
	return fmt.Sprintf("schedule/%s/%d", job, at.Unix())
}

// loadLast returns the job's last considered time and record version. A job
// seen for the first time starts at now: with no history nothing was missed.
func (s *Scheduler) loadLast(ctx context.Context, job string, now time.Time) (time.Time, int64, error) {
	rec, err := s.store.Get(ctx, lastKey(job))
	if errors.Is(err, state.ErrNotFound) {
		v, _ := json.Marshal(lastRecord{Last: now.UTC(), Replica: s.opts.Replica})
		rec, err = s.store.Create(ctx, lastKey(job), v)
		if errors.Is(err, state.ErrConflict) { // another replica just created it
			rec, err = s.store.Get(ctx, lastKey(job))
		}
	}
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("load %s: %w", lastKey(job), err)
	}
	var lr lastRecord
	if err := json.Unmarshal(rec.Value, &lr); err != nil {
		return time.Time{}, 0, fmt.Errorf("decode %s: %w", lastKey(job), err)
	}
	return lr.Last, rec.Version, nil
}

// saveLast moves the job's last considered time on, fenced by the lease so a
// deposed leader cannot rewind it.
func (s *Scheduler) saveLast(ctx context.Context, job string, last time.Time, version int64) error {
	v, _ := json.Marshal(lastRecord{Last: last.UTC(), Replica: s.opts.Replica})
	if _, err := s.store.UpdateFenced(ctx, s.lease, lastKey(job), v, version); err != nil {
		return fmt.Errorf("save %s: %w", lastKey(job), err)
	}
	return nil
}
