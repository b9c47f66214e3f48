package bot

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

// groupAPI answers usergroups.users.list from a map and counts calls.
type groupAPI struct {
	API
	groups map[string][]string
	calls  int
	err    error
}

func (g *groupAPI) GetUserGroupMembersContext(_ context.Context, group string, _ ...slack.GetUserGroupMembersOption) ([]string, error) {
	g.calls++
	if g.err != nil {
		return nil, g.err
	}
	return g.groups[group], nil
}

func TestDirectoryCaches(t *testing.T) {
	api := &groupAPI{groups: map[string][]string{"S0SRE": {"U1", "U2"}}}
	d := NewDirectory(api, time.Minute)
	now := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	d.now = func() time.Time { return now }
	ctx := context.Background()
	for range 3 {
		got, err := d.GroupMembers(ctx, "S0SRE")
		if err != nil || !slices.Equal(got, []string{"U1", "U2"}) {
			t.Fatalf("members = %v, %v", got, err)
		}
	}
	if api.calls != 1 {
		t.Errorf("%d API calls within the TTL, want 1", api.calls)
	}
	api.groups["S0SRE"] = []string{"U1"}
	now = now.Add(61 * time.Second)
	if got, _ := d.GroupMembers(ctx, "S0SRE"); !slices.Equal(got, []string{"U1"}) || api.calls != 2 {
		t.Errorf("after the TTL: members %v, calls %d; want the new membership from a second call", got, api.calls)
	}
	api.err = errors.New("ratelimited")
	now = now.Add(61 * time.Second)
	if _, err := d.GroupMembers(ctx, "S0SRE"); err == nil {
		t.Error("a failed lookup must be an error, not an empty group")
	}
}
