package dynatrace

import (
	"context"
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/patchgate/patchgate/internal/ctxsleep"
	"github.com/patchgate/patchgate/runbooks"
)

// maxPages bounds one listing, so a server that keeps handing out page keys
// cannot hold the gate forever (500 pages of 500 is far beyond any sane
// environment).
const maxPages = 500

// Client lists open Dynatrace problems per environment. It is safe for
// concurrent use.
type Client struct {
	cfg      Config
	problems string // the problemSelector sent
	from     string // the from parameter sent
	// sleep waits between retries; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

var _ runbooks.Health = (*Client)(nil)

// New validates cfg and returns a client.
func New(cfg Config) (*Client, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	ps := openSelector
	if cfg.ProblemSelector != "" {
		ps += "," + cfg.ProblemSelector
	}
	hours := int(math.Ceil(cfg.Lookback.Hours()))
	return &Client{cfg: cfg, problems: ps, from: "now-" + strconv.Itoa(hours) + "h", sleep: ctxsleep.Sleep}, nil
}

// Selector returns the entity selector configured for tenant/env: the
// "tenant/env" entry, else the "env" entry. An environment with neither is
// a configuration error, so the health gate never passes by asking about
// nothing.
func (c *Client) Selector(tenant, env string) (string, error) {
	if s, ok := c.cfg.Selectors[tenant+"/"+env]; ok {
		return s, nil
	}
	if s, ok := c.cfg.Selectors[env]; ok {
		return s, nil
	}
	return "", runbooks.Errorf(runbooks.CodeInvalid,
		"dynatrace: no entity selector is configured for %s/%s; add one under %q or %q", tenant, env, tenant+"/"+env, env)
}

// Problems lists the open problems touching the entities of tenant's env,
// following nextPageKey through every page.
func (c *Client) Problems(ctx context.Context, tenant, env string) ([]runbooks.Problem, error) {
	sel, err := c.Selector(tenant, env)
	if err != nil {
		return nil, err
	}
	scope := tenant + "/" + env
	q := url.Values{
		"problemSelector": {c.problems},
		"entitySelector":  {sel},
		"pageSize":        {strconv.Itoa(c.cfg.PageSize)},
		"from":            {c.from},
	}
	var out []runbooks.Problem
	seenProblem := map[string]bool{}
	seenKey := map[string]bool{}
	for page := 1; ; page++ {
		var pg problemPage
		if err := c.get(ctx, scope, q, &pg); err != nil {
			return nil, c.redact(fmt.Errorf("dynatrace: list open problems of %s (page %d): %w", scope, page, err))
		}
		for _, p := range pg.Problems {
			// The selector asks for open problems only; a closed one that
			// slips through (a misconfigured selector) must not block.
			if strings.EqualFold(p.Status, "CLOSED") || seenProblem[p.ProblemID] {
				continue
			}
			seenProblem[p.ProblemID] = true
			out = append(out, c.problem(p))
		}
		if pg.NextPageKey == "" {
			return out, nil
		}
		if seenKey[pg.NextPageKey] || page >= maxPages {
			return nil, fmt.Errorf("dynatrace: list open problems of %s: paging did not end after %d page(s)", scope, page)
		}
		seenKey[pg.NextPageKey] = true
		// The API takes no other parameter with nextPageKey: the key
		// carries the original query.
		q = url.Values{"nextPageKey": {pg.NextPageKey}}
	}
}

// problemPage is one page of GET /api/v2/problems.
type problemPage struct {
	TotalCount  int64         `json:"totalCount"`
	PageSize    int           `json:"pageSize"`
	NextPageKey string        `json:"nextPageKey"`
	Problems    []wireProblem `json:"problems"`
}

// wireProblem holds the fields of the API's Problem the gate uses.
type wireProblem struct {
	ProblemID        string       `json:"problemId"`
	DisplayID        string       `json:"displayId"`
	Title            string       `json:"title"`
	ImpactLevel      string       `json:"impactLevel"`
	SeverityLevel    string       `json:"severityLevel"`
	Status           string       `json:"status"`
	StartTime        int64        `json:"startTime"`
	AffectedEntities []wireEntity `json:"affectedEntities"`
}

type wireEntity struct {
	Name string `json:"name"`
}

// problem maps an API problem to the gate's: a title a person can act on
// ("P-2401 CPU saturation on web-01 (RESOURCE_CONTENTION, INFRASTRUCTURE)")
// and a link to the problem in the Dynatrace UI.
func (c *Client) problem(p wireProblem) runbooks.Problem {
	id := p.ProblemID
	if id == "" {
		id = p.DisplayID
	}
	var b strings.Builder
	if p.DisplayID != "" {
		b.WriteString(p.DisplayID + " ")
	}
	b.WriteString(strings.TrimSpace(p.Title))
	if names := entityNames(p.AffectedEntities, 3); names != "" {
		b.WriteString(" on " + names)
	}
	if tags := nonEmpty(p.SeverityLevel, p.ImpactLevel); len(tags) > 0 {
		b.WriteString(" (" + strings.Join(tags, ", ") + ")")
	}
	out := runbooks.Problem{ID: id, Title: b.String()}
	if p.ProblemID != "" {
		out.URL = c.cfg.BaseURL + "/#problems/problemdetails;pid=" + url.QueryEscape(p.ProblemID)
	}
	return out
}

// entityNames lists up to max entity names, then how many more.
func entityNames(es []wireEntity, max int) string {
	var names []string
	for _, e := range es {
		if e.Name != "" {
			names = append(names, e.Name)
		}
	}
	if len(names) > max {
		return strings.Join(names[:max], ", ") + fmt.Sprintf(" and %d more", len(names)-max)
	}
	return strings.Join(names, ", ")
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
