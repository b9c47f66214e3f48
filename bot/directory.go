package bot

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Directory resolves approver user groups through Slack's
// usergroups.users.list, and people through users.info. Answers are cached
// for TTL: every click checks the approver groups and names its person, and
// both methods are rate-limited per workspace; a minute's delay in a
// membership or profile change reaching patchgate is the accepted cost.
type Directory struct {
	api API
	ttl time.Duration
	now func() time.Time

	mu     sync.Mutex
	cache  map[string]groupEntry
	people map[string]personEntry
}

type personEntry struct {
	person  runbooks.Person
	fetched time.Time
}

type groupEntry struct {
	members []string
	fetched time.Time
}

var _ runbooks.Directory = (*Directory)(nil)

// NewDirectory caches each group's members for ttl (default one minute).
func NewDirectory(api API, ttl time.Duration) *Directory {
	if ttl <= 0 {
		ttl = time.Minute
	}
	return &Directory{api: api, ttl: ttl, now: time.Now, cache: map[string]groupEntry{}, people: map[string]personEntry{}}
}

// GroupMembers returns the user IDs in a Slack user group. A failed lookup
// is an error, never an empty group, so the engine refuses rather than
// guesses.
func (d *Directory) GroupMembers(ctx context.Context, group string) ([]string, error) {
	d.mu.Lock()
	e, ok := d.cache[group]
	d.mu.Unlock()
	if ok && d.now().Sub(e.fetched) < d.ttl {
		return slices.Clone(e.members), nil
	}
	members, err := d.api.GetUserGroupMembersContext(ctx, group)
	if err != nil {
		return nil, fmt.Errorf("list members of user group %s: %w", group, err)
	}
	d.mu.Lock()
	d.cache[group] = groupEntry{members: slices.Clone(members), fetched: d.now()}
	d.mu.Unlock()
	return members, nil
}

// Person reads a user's display name (the real name when no display name
// is set) and email through users.info. A failed lookup is an error and is
// not cached, so the next decision tries again.
func (d *Directory) Person(ctx context.Context, id string) (runbooks.Person, error) {
	d.mu.Lock()
	e, ok := d.people[id]
	d.mu.Unlock()
	if ok && d.now().Sub(e.fetched) < d.ttl {
		return e.person, nil
	}
	u, err := d.api.GetUserInfoContext(ctx, id)
	if err != nil {
		return runbooks.Person{}, fmt.Errorf("read user %s: %w", id, err)
	}
	p := runbooks.Person{ID: id, Name: u.Profile.DisplayName, Email: u.Profile.Email}
	if p.Name == "" {
		p.Name = u.Profile.RealName
	}
	if p.Name == "" {
		p.Name = u.RealName
	}
	d.mu.Lock()
	d.people[id] = personEntry{person: p, fetched: d.now()}
	d.mu.Unlock()
	return p, nil
}
