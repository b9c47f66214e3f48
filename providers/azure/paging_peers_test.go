package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
)

// pagingCap is the provider's page cap in the paging tests.
const pagingCap = 20

// TestPagingLoopsEndOnEveryAzureList: each list pager the provider
// follows (virtual machines and Arc machines of a resource group or of the
// whole subscription, the snapshots FindBackup looks for) behind a peer
// whose nextLink repeats or never ends stops with an error naming the
// loop, and hands back no result.
func TestPagingLoopsEndOnEveryAzureList(t *testing.T) {
	for _, tc := range []struct {
		loop   string // in the error
		suffix string // of the list's path
		// read is the call under test; it calls hostile once what comes
		// before it is done, and answers whether a result came back.
		read func(ctx context.Context, t *testing.T, f *fleet, p *Provider, hostile func()) (bool, error)
	}{
		{"compute virtualMachines.list of resource group rg-app in subscription " + subA, "/microsoft.compute/virtualmachines", readHosts(true)},
		{"compute virtualMachines.listAll of subscription " + subA, "/microsoft.compute/virtualmachines", readHosts(false)},
		{"hybridcompute machines.listByResourceGroup of resource group rg-app in subscription " + subA, "/microsoft.hybridcompute/machines", readHosts(true)},
		{"hybridcompute machines.listBySubscription of subscription " + subA, "/microsoft.hybridcompute/machines", readHosts(false)},
		{"compute snapshots.listByResourceGroup of resource group rg-app in subscription " + subA, "/microsoft.compute/snapshots",
			func(ctx context.Context, t *testing.T, f *fleet, p *Provider, hostile func()) (bool, error) {
				req := f.request(t, p, "c-2026-11/production/backup/1", "vm-web-1", "vm-web-2")
				if _, err := p.StartBackup(ctx, req); err != nil {
					t.Fatal(err)
				}
				hostile()
				h, found, err := p.FindBackup(ctx, req)
				return found || h != "", err
			}},
	} {
		for name, token := range map[string]func(n int) string{
			"a new link forever": func(n int) string { return fmt.Sprintf("forever-%d", n) },
			"the same link":      func(int) string { return "2" },
		} {
			t.Run(tc.loop+"/"+name, func(t *testing.T) {
				f := newFleet(t)
				peer := testkit.NewHostile(t, f.srv.URL)
				var mu sync.Mutex
				var last *url.URL // the list request the peer answers
				peer.Match = func(r *http.Request) bool {
					if r.Method != http.MethodGet || !strings.HasSuffix(strings.ToLower(r.URL.Path), tc.suffix) {
						return false
					}
					mu.Lock()
					last = r.URL
					mu.Unlock()
					return true
				}
				p := f.provider(t, func(c *Config) { c.Endpoint = peer.URL })
				p.maxPages = pagingCap
				hostile := func() {
					peer.Edit(func(n int, body []byte) []byte {
						var page map[string]any
						if err := json.Unmarshal(body, &page); err != nil {
							t.Errorf("page %d: %v", n, err)
						}
						mu.Lock()
						q := last.Query()
						q.Set("$skiptoken", token(n))
						page["nextLink"] = peer.URL + last.Path + "?" + q.Encode()
						mu.Unlock()
						out, _ := json.Marshal(page)
						return out
					})
				}
				ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
				defer cancel()
				before := peer.Hits()
				got, err := tc.read(ctx, t, f, p, hostile)
				if ctx.Err() != nil {
					t.Fatalf("the paging loop was still going after 60 s: %v", err)
				}
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

// readHosts reads the inventory of the fleet's target, of its resource
// group or (group false) of the whole subscription, with the peer hostile
// from the first page.
func readHosts(group bool) func(context.Context, *testing.T, *fleet, *Provider, func()) (bool, error) {
	return func(ctx context.Context, _ *testing.T, f *fleet, p *Provider, hostile func()) (bool, error) {
		env := f.env
		if !group {
			tgt := f.target
			tgt.Groups = nil
			env.Targets = []runbooks.Target{tgt}
		}
		hostile()
		hs, err := p.Hosts(ctx, f.tenant, env)
		return hs != nil, err
	}
}
