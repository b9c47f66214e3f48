package sla

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/patchgate/patchgate/state"
)

// seenShards splits a tenant's first-seen days by host, so no single
// record (and no single encode) holds all of a large fleet's: 600,000
// host-patches at 20,000 hosts × 30 patches are ~9,000 per shard.
const seenShards = 64

// seenDays starts the SLA clocks of dateless findings (SSM reports no
// release date) at the first day patchgate saw each host-patch missing.
// It reads the tenant's shards once, collects what this scan saw and
// writes each shard back once: patches no longer reported are forgotten,
// so one that comes back starts again. A shard maps "host|patch" to Unix
// seconds.
type seenDays struct {
	st     state.Store
	tenant string
	now    int64
	before map[string]int64
	next   [seenShards]map[string]int64
}

func (s *Service) firstSeen(ctx context.Context, tenant string, now time.Time) (*seenDays, error) {
	d := &seenDays{st: s.Store, tenant: tenant, now: now.Unix(), before: map[string]int64{}}
	recs, err := s.Store.List(ctx, seenPrefix+tenant+"/")
	if err != nil {
		return nil, fmt.Errorf("list %s%s/: %w", seenPrefix, tenant, err)
	}
	for _, r := range recs {
		var m map[string]int64
		if err := json.Unmarshal(r.Value, &m); err != nil {
			return nil, fmt.Errorf("decode %s: %w", r.Key, err)
		}
		for k, v := range m {
			d.before[k] = v
		}
	}
	return d, nil
}

func seenShard(host string) int {
	h := fnv.New32a()
	h.Write([]byte(host))
	return int(h.Sum32() % seenShards)
}

// lookup is Input.FirstSeen: called once per dateless finding. It moves
// the entry from what was read to what is kept, so the scan holds each
// host-patch once.
func (d *seenDays) lookup(host, patch string) time.Time {
	k := host + "|" + patch
	t, ok := d.before[k]
	if ok {
		delete(d.before, k)
	} else {
		t = d.now
	}
	n := seenShard(host)
	if d.next[n] == nil {
		d.next[n] = map[string]int64{}
	}
	if prev, ok := d.next[n][k]; ok && prev < t {
		t = prev
	}
	d.next[n][k] = t
	return time.Unix(t, 0).UTC()
}

// save writes each shard this scan saw (deleting those it no longer
// needs), keeping an earlier day another writer recorded meanwhile.
func (d *seenDays) save(ctx context.Context) error {
	d.before = nil
	var errs []error
	for n := range d.next {
		key := fmt.Sprintf("%s%s/%02d", seenPrefix, d.tenant, n)
		next := d.next[n]
		_, err := state.Modify(ctx, d.st, key, func(b []byte, ok bool) ([]byte, error) {
			if !ok && len(next) == 0 {
				return nil, nil
			}
			if ok {
				var cur map[string]int64
				if err := json.Unmarshal(b, &cur); err != nil {
					return nil, fmt.Errorf("decode %s: %w", key, err)
				}
				for k, t := range cur {
					if x, ok := next[k]; ok && t < x {
						next[k] = t
					}
				}
			}
			if next == nil {
				next = map[string]int64{}
			}
			return json.Marshal(next)
		})
		if err != nil {
			errs = append(errs, err)
		}
		d.next[n] = nil
	}
	return errors.Join(errs...)
}
