package servicenow

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/patchgate/patchgate/doctor"
	"github.com/patchgate/patchgate/providers/rest"
)

// Checks are the read-only probes of `patchgate doctor`: one listing of a
// single change (GET /api/sn_chg_rest/v1/change?sysparm_limit=1), which
// proves the instance answers, the credentials are accepted and the
// account may read change requests; nothing is written.
func (c *Client) Checks() []doctor.Check {
	return []doctor.Check{{Name: "servicenow " + c.http.BaseURL() + ": change requests readable", Run: func(ctx context.Context) (string, error) {
		var out envelope
		err := c.http.Do(ctx, rest.Request{Op: "GET " + apiBase, Method: http.MethodGet, Path: apiBase,
			Query: url.Values{"sysparm_limit": {"1"}}, Retry: true}, &out)
		if err != nil {
			fix := "check change_records.servicenow.url and that the instance is reachable from here"
			switch rest.StatusOf(err) {
			case http.StatusUnauthorized:
				fix = "set change_records.servicenow.username/password (or token) to the integration user's credentials"
			case http.StatusForbidden:
				fix = "give the integration user the itil or change_manager role"
			}
			return "", doctor.Fix(err, fix)
		}
		recs, err := out.records()
		if err != nil {
			return "", doctor.Fix(err, "check change_records.servicenow.url points at the instance, not a proxy page")
		}
		return fmt.Sprintf("Change Management API answered (%d change(s) in a page of 1)", len(recs)), nil
	}}}
}
