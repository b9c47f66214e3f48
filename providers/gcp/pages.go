package gcp

import "github.com/patchgate/patchgate/runbooks"

// guarded is a Pages callback that hands each page to each and then stops
// the loop, with an error naming it, when the page's next token repeats
// an earlier one or the pages pass p.maxPages: the generated Pages methods
// follow whatever token the peer names, so a peer that hands out tokens
// forever would keep the step going forever.
func guarded[T any](p *Provider, loop string, next func(*T) string, each func(*T) error) func(*T) error {
	guard := runbooks.PageGuard{Loop: loop, Max: p.maxPages}
	return func(page *T) error {
		if err := each(page); err != nil {
			return err
		}
		return guard.Next(next(page))
	}
}
