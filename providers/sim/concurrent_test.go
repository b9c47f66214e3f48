package sim

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

// Three "engines" share one fleet, as in the multi-replica tests; run with
// -race.
func TestConcurrentUse(t *testing.T) {
	for _, persisted := range []bool{false, true} {
		t.Run(fmt.Sprintf("persisted=%v", persisted), func(t *testing.T) {
			tenants := 12
			if persisted {
				tenants = 4 // every mutation fsyncs
			}
			f := demoFleet(t, func(c *Config) {
				c.Tenants = GenerateTenants(tenants, 5)
				if persisted {
					c.StatePath = filepath.Join(t.TempDir(), "sim.json")
				}
			})
			ctx := context.Background()
			var (
				wg      sync.WaitGroup
				mu      sync.Mutex
				handles = map[string]string{}
			)
			for engine := range 3 {
				for _, ten := range f.cfg.Tenants {
					wg.Go(func() {
						for _, env := range ten.Environments {
							hosts, err := f.Hosts(ctx, ten, env)
							if err != nil {
								t.Error(err)
								return
							}
							req := runbooks.OpRequest{Tag: fmt.Sprintf("%d/%s/%s", engine, ten.Name, env.Name), Tenant: ten.Name, Env: env.Name, Hosts: hosts}
							b, err1 := f.StartBackup(ctx, req)
							p, err2 := f.StartPatch(ctx, req)
							_, err3 := f.PatchStatus(ctx, p)
							_, err4 := f.PrePatch(ctx, hosts)
							err5 := f.Trigger(ctx, runbooks.Page{DedupKey: ten.Name + "/" + env.Name})
							if err := firstErr(err1, err2, err3, err4, err5); err != nil {
								t.Error(err)
								return
							}
							mu.Lock()
							handles[b] = req.Tag
							handles[p] = req.Tag
							mu.Unlock()
						}
					})
				}
			}
			// The same tag sent by 8 racing callers: all counted, first one found.
			for range 8 {
				wg.Go(func() { _, _ = f.StartPatch(ctx, runbooks.OpRequest{Tag: "raced"}) })
			}
			wg.Wait()

			s := f.Stats()
			n := 3 * tenants * 3
			if len(handles) != 2*n {
				t.Errorf("%d distinct handles, want %d", len(handles), 2*n)
			}
			if s.Backups.Starts != n || s.Backups.Duplicates != 0 || s.Patches.Starts != n+8 || s.Patches.Duplicates != 7 {
				t.Errorf("backups %+v patches starts %d duplicates %d", s.Backups.Starts, s.Patches.Starts, s.Patches.Duplicates)
			}
			if s.PageTriggers != n || s.IncidentsOpened != tenants*3 {
				t.Errorf("triggers %d, incidents %d; want %d and %d", s.PageTriggers, s.IncidentsOpened, n, tenants*3)
			}
			if s.Patches.ByScope[f.cfg.Tenants[3].Name+"/staging"] != 3 {
				t.Errorf("by scope: %v", s.Patches.ByScope)
			}
			for h, tag := range handles {
				find := f.FindPatch
				if strings.HasPrefix(h, "sim-backup-") {
					find = f.FindBackup
				}
				if got, found, _ := find(ctx, runbooks.OpRequest{Tag: tag}); !found || got != h {
					t.Errorf("tag %s finds %q, want %s", tag, got, h)
				}
			}
			if persisted {
				g, err := New(f.cfg)
				if err != nil {
					t.Fatal(err)
				}
				if gs := g.Stats(); gs.Patches.Starts != s.Patches.Starts || gs.PageTriggers != s.PageTriggers {
					t.Errorf("reloaded stats differ: %+v", gs)
				}
			}
		})
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
