package jira

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/patchgate/patchgate/doctor"
	"github.com/patchgate/patchgate/providers/rest"
)

// Checks are the read-only probes of `patchgate doctor`: the configured
// project as the account sees it (GET /rest/api/3/project/{key}), which
// proves the site answers, the credentials are accepted and the project
// exists; nothing is written.
func (c *Client) Checks() []doctor.Check {
	return []doctor.Check{{Name: "jira " + c.http.BaseURL() + ": project " + c.cfg.Project + " readable", Run: func(ctx context.Context) (string, error) {
		var out struct {
			Key  string `json:"key"`
			Name string `json:"name"`
		}
		err := c.http.Do(ctx, rest.Request{Op: "GET /rest/api/3/project/{key}", Method: http.MethodGet,
			Path: "/rest/api/3/project/" + url.PathEscape(c.cfg.Project), Retry: true}, &out)
		if err != nil {
			fix := "check change_records.jira.url and that the site is reachable from here"
			switch rest.StatusOf(err) {
			case http.StatusUnauthorized:
				fix = "set change_records.jira.email and api_token (or token) to a valid account's"
			case http.StatusNotFound, http.StatusForbidden:
				fix = "check change_records.jira.project and that the account may browse it"
			}
			return "", doctor.Fix(err, fix)
		}
		return fmt.Sprintf("project %s (%s) is visible", out.Key, out.Name), nil
	}}}
}
