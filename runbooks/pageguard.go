package runbooks

import (
	"errors"
	"fmt"
)

// MaxPages bounds a paging loop over a provider's list API: far more
// pages than any real list needs (a million items at a hundred a page),
// few enough that a peer handing out next tokens forever is stopped.
const MaxPages = 10000

// ErrEndlessPaging is in the chain of the error a PageGuard returns.
var ErrEndlessPaging = errors.New("paging does not end")

// PageGuard stops a paging loop (NextToken, nextLink, nextPageToken) that
// would not end: a peer that hands back a token it already gave (the loop
// would go round forever) or hands out new ones past Max pages. Either
// way the loop ends with an error naming it, never with a shorter list
// taken for the whole one.
type PageGuard struct {
	Loop string // names the loop: "ssm DescribeInstancePatches of i-0abc"
	Max  int    // pages allowed; 0 takes MaxPages

	pages int
	seen  map[string]struct{}
}

// Next records one page read and the next token it named ("" when it was
// the last), and says why the loop must stop, or nil.
func (g *PageGuard) Next(token string) error {
	g.pages++
	if token == "" {
		return nil
	}
	limit := g.Max
	if limit <= 0 {
		limit = MaxPages
	}
	if _, dup := g.seen[token]; dup {
		return fmt.Errorf("%s: page %d names a next token an earlier page already gave, so the peer's paging goes round in a circle; stopped: %w",
			g.Loop, g.pages, ErrEndlessPaging)
	}
	if g.pages >= limit {
		return fmt.Errorf("%s: still a next token after %d pages; stopped: %w", g.Loop, g.pages, ErrEndlessPaging)
	}
	if g.seen == nil {
		g.seen = map[string]struct{}{}
	}
	g.seen[token] = struct{}{}
	return nil
}
