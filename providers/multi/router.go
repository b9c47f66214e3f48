package multi

import (
	"fmt"
	"sort"
	"sync"

	"github.com/patchgate/patchgate/runbooks"
)

// Router sends each target and host to the provider of its cloud. It
// implements the engine's Inventory, Backups and Patcher ports.
type Router struct {
	clouds map[runbooks.Cloud]Cloud
}

var (
	_ runbooks.Inventory = (*Router)(nil)
	_ runbooks.Backups   = (*Router)(nil)
	_ runbooks.Patcher   = (*Router)(nil)
)

// New builds a router over the given clouds. Every cloud needs all three
// ports: a cloud that can list hosts but not back them up would let a
// cycle reach a stage it cannot run.
func New(clouds map[runbooks.Cloud]Cloud) (*Router, error) {
	r := &Router{clouds: make(map[runbooks.Cloud]Cloud, len(clouds))}
	for name, c := range clouds {
		if c.Inventory == nil || c.Backups == nil || c.Patcher == nil {
			return nil, fmt.Errorf("cloud %s: inventory, backups and patcher are all required", name)
		}
		r.clouds[name] = c
	}
	if len(r.clouds) == 0 {
		return nil, fmt.Errorf("no cloud providers configured")
	}
	return r, nil
}

// Clouds lists the routed clouds in a stable order.
func (r *Router) Clouds() []runbooks.Cloud {
	out := make([]runbooks.Cloud, 0, len(r.clouds))
	for c := range r.clouds {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func (r *Router) cloud(name runbooks.Cloud) (Cloud, error) {
	c, ok := r.clouds[name]
	if !ok {
		return Cloud{}, runbooks.Errorf(runbooks.CodeBlocked, "no provider is configured for cloud %q", name)
	}
	return c, nil
}

// each runs fn for every cloud in parts concurrently and returns every
// cloud's error, each named (see combine).
func each[T any](parts map[runbooks.Cloud]T, fn func(runbooks.Cloud, T) error) error {
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs = map[runbooks.Cloud]error{}
	)
	for name, p := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := fn(name, p); err != nil {
				mu.Lock()
				errs[name] = err
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return combine(errs)
}

func sortedKeys[T any](m map[runbooks.Cloud]T) []runbooks.Cloud {
	out := make([]runbooks.Cloud, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
