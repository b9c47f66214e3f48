package events

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Tagger reads an instance's tags (providers/aws.Provider.InstanceTags).
type Tagger interface {
	InstanceTags(ctx context.Context, account, region, instanceID string) (map[string]string, bool, error)
}

// Triage places an instance in a tenant's environment the way the
// inventory finds it: an AWS target of the environment names the account
// (and the region, when it lists regions) and the instance carries every
// tag of the target's selector.
type Triage struct {
	tenants []runbooks.Tenant
	tags    Tagger
	clock   runbooks.Clock

	mu    sync.Mutex
	cache map[string]cachedTags
}

type cachedTags struct {
	tags  map[string]string
	found bool
	at    time.Time
}

// tagCacheTTL keeps an instance's tags for a burst of events about it (a
// Config re-evaluation of a fleet sends one per instance and rule) without
// letting a retag go unseen for long.
const (
	tagCacheTTL  = 2 * time.Minute
	tagCacheSize = 20000
)

// NewTriage places instances among tenants, reading tags through tags.
func NewTriage(tenants []runbooks.Tenant, tags Tagger, clock runbooks.Clock) *Triage {
	if clock == nil {
		clock = runbooks.SystemClock
	}
	return &Triage{tenants: tenants, tags: tags, clock: clock, cache: map[string]cachedTags{}}
}

// Unplaced is triage's verdict that no single environment owns the
// instance; Reason says why, for the notice and the audit line.
type Unplaced struct{ Reason string }

func (u *Unplaced) Error() string { return "unknown instance: " + u.Reason }

// Place sets ev.Tenant and ev.Env, or returns *Unplaced. Any other error is
// a failed tag lookup: the event stays queued and is tried again.
func (t *Triage) Place(ctx context.Context, ev *runbooks.ComplianceEvent) error {
	type candidate struct {
		tenant, env string
		selector    map[string]string
	}
	var cands []candidate
	for _, tn := range t.tenants {
		for _, e := range tn.Environments {
			for _, tg := range e.Targets {
				if tg.Cloud != runbooks.AWS || tg.Account != ev.Account {
					continue
				}
				if len(tg.Regions) > 0 && !slices.Contains(tg.Regions, ev.Region) {
					continue
				}
				cands = append(cands, candidate{tn.Name, e.Name, tg.Selector})
			}
		}
	}
	if len(cands) == 0 {
		return &Unplaced{Reason: fmt.Sprintf("account %s in %s belongs to no tenant's AWS targets", ev.Account, ev.Region)}
	}
	tags, found, err := t.lookup(ctx, ev)
	if err != nil {
		return err
	}
	if !found {
		return &Unplaced{Reason: fmt.Sprintf("EC2 does not know instance %s in account %s, %s", ev.InstanceID, ev.Account, ev.Region)}
	}
	matched := map[string]bool{}
	for _, c := range cands {
		if selects(c.selector, tags) {
			matched[c.tenant+"/"+c.env] = true
		}
	}
	switch len(matched) {
	case 1:
		for k := range matched {
			ev.Tenant, ev.Env, _ = strings.Cut(k, "/")
		}
		return nil
	case 0:
		return &Unplaced{Reason: fmt.Sprintf("instance %s in account %s carries no tags an environment of its account selects", ev.InstanceID, ev.Account)}
	default:
		names := make([]string, 0, len(matched))
		for k := range matched {
			names = append(names, k)
		}
		sort.Strings(names)
		return &Unplaced{Reason: fmt.Sprintf("instance %s matches several environments (%s)", ev.InstanceID, strings.Join(names, ", "))}
	}
}

func selects(selector, tags map[string]string) bool {
	for k, v := range selector {
		if tags[k] != v {
			return false
		}
	}
	return true
}

func (t *Triage) lookup(ctx context.Context, ev *runbooks.ComplianceEvent) (map[string]string, bool, error) {
	key := ev.Account + "/" + ev.Region + "/" + ev.InstanceID
	now := t.clock.Now()
	t.mu.Lock()
	c, ok := t.cache[key]
	t.mu.Unlock()
	if ok && now.Sub(c.at) < tagCacheTTL {
		return c.tags, c.found, nil
	}
	tags, found, err := t.tags.InstanceTags(ctx, ev.Account, ev.Region, ev.InstanceID)
	if err != nil {
		return nil, false, fmt.Errorf("triage of %s: %w", ev.InstanceID, err)
	}
	t.mu.Lock()
	if len(t.cache) >= tagCacheSize {
		clear(t.cache)
	}
	t.cache[key] = cachedTags{tags: tags, found: found, at: now}
	t.mu.Unlock()
	return tags, found, nil
}
