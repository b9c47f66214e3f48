package gcp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// pagingCap is the provider's page cap in the paging tests.
const pagingCap = 20

// endlessTokens are the two peers whose paging never ends: one names a
// new nextPageToken on every page, one names the same one again.
var endlessTokens = map[string]func(n int) string{
	"a new token forever": func(n int) string { return fmt.Sprintf("forever-%d", n) },
	"the same token":      func(int) string { return "2" },
}

// TestPagingLoopsEndOnEveryGCPList: each paging loop of the provider
// (instances.aggregatedList and the OS Config inventories of the
// inventory, snapshots.list of FindBackup and of the retention catalog,
// patchJobs.list of FindPatch, patchJobs.instanceDetails.list of
// VerifyPatch) behind a peer whose nextPageToken repeats or never ends
// stops with an error naming the loop, and hands back no result.
func TestPagingLoopsEndOnEveryGCPList(t *testing.T) {
	for _, tc := range []struct {
		loop  string // in the error
		match func(*http.Request) bool
		// prepare runs with the peer passing everything; read is the call
		// under test, answering whether it handed back a result.
		prepare func(t *testing.T, p *Provider) runbooks.OpRequest
		read    func(ctx context.Context, p *Provider, r runbooks.OpRequest) (bool, error)
	}{
		{loop: "compute instances.aggregatedList of project dr-proj",
			match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/aggregated/instances") },
			read:  readHosts},
		{loop: "osconfig inventories.list of projects/dr-proj/locations/us-central1-",
			match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/inventories") },
			read:  readHosts},
		{loop: "compute snapshots.list of project dr-proj labelled",
			match: listOf("/global/snapshots"),
			prepare: func(t *testing.T, p *Provider) runbooks.OpRequest {
				r := req("c-2026-11/production/backup/0", prodHosts(t, nil, p))
				if _, err := p.StartBackup(context.Background(), r); err != nil {
					t.Fatal(err)
				}
				return r
			},
			read: func(ctx context.Context, p *Provider, r runbooks.OpRequest) (bool, error) {
				h, found, err := p.FindBackup(ctx, r)
				return found || h != "", err
			}},
		{loop: "compute snapshots.list of project dr-proj:",
			match: listOf("/global/snapshots"),
			read: func(ctx context.Context, p *Provider, _ runbooks.OpRequest) (bool, error) {
				bs, err := p.Catalog([]runbooks.Target{prodDR.Targets[1]}).ListPrePatchBackups(ctx)
				return bs != nil, err
			}},
		{loop: "osconfig patchJobs.list of projects/dr-proj",
			match: listOf("/patchJobs"),
			prepare: func(t *testing.T, p *Provider) runbooks.OpRequest {
				r := req("c-2026-11/production/patch/0", prodHosts(t, nil, p))
				if _, err := p.StartPatch(context.Background(), r); err != nil {
					t.Fatal(err)
				}
				return r
			},
			read: func(ctx context.Context, p *Provider, r runbooks.OpRequest) (bool, error) {
				h, found, err := p.FindPatch(ctx, r)
				return found || h != "", err
			}},
		{loop: "osconfig patchJobs.instanceDetails.list of projects/", // the job name carries the project number
			match: listOf("/instanceDetails"),
			prepare: func(t *testing.T, p *Provider) runbooks.OpRequest {
				r := req("c-2026-11/production/patch/0", prodHosts(t, nil, p))
				h, err := p.StartPatch(context.Background(), r)
				if err != nil {
					t.Fatal(err)
				}
				pollPatch(t, p, h)
				return r
			},
			read: func(ctx context.Context, p *Provider, r runbooks.OpRequest) (bool, error) {
				fs, err := p.VerifyPatch(ctx, r)
				return fs != nil, err
			}},
	} {
		for name, token := range endlessTokens {
			t.Run(tc.loop+"/"+name, func(t *testing.T) {
				clk := testkit.NewClock(t0)
				srv := fake(t, clk)
				fleet(srv)
				peer := testkit.NewHostile(t, srv.URL)
				peer.Match = tc.match
				p := newProvider(t, srv, clk, func(c *Config) {
					c.ComputeEndpoint, c.OSConfigEndpoint = peer.URL+"/compute/v1/", peer.URL+"/"
				})
				p.maxPages = pagingCap
				var r runbooks.OpRequest
				if tc.prepare != nil {
					r = tc.prepare(t, p)
				}
				before := peer.Hits()
				peer.Edit(func(n int, body []byte) []byte {
					var page map[string]any
					if err := json.Unmarshal(body, &page); err != nil {
						t.Errorf("page %d: %v", n, err)
					}
					page["nextPageToken"] = token(n)
					out, _ := json.Marshal(page)
					return out
				})
				got, err := readPaging(t, func(ctx context.Context) (bool, error) { return tc.read(ctx, p, r) })
				if !errors.Is(err, runbooks.ErrEndlessPaging) || !strings.Contains(err.Error(), tc.loop) {
					t.Fatalf("read: %v; want an endless-paging error naming %q", err, tc.loop)
				}
				if got {
					t.Error("the read handed back a result next to the error; want none")
				}
				if n := peer.Hits() - before; n == 0 || n > pagingCap+1 {
					t.Errorf("%d pages asked for; want some, and none past the cap of %d", n, pagingCap)
				}
			})
		}
	}
}

// listOf picks the GET requests on paths ending with suffix.
func listOf(suffix string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, suffix) }
}

func readHosts(ctx context.Context, p *Provider, _ runbooks.OpRequest) (bool, error) {
	hs, err := p.Hosts(ctx, tenant, prodDR)
	return hs != nil, err
}

// readPaging runs read under a 60 s backstop: without the guard the loop
// would not end, and the test says so instead of hanging.
func readPaging(t *testing.T, read func(context.Context) (bool, error)) (bool, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	got, err := read(ctx)
	if ctx.Err() != nil {
		t.Fatalf("the paging loop was still going after 60 s: %v", err)
	}
	return got, err
}
