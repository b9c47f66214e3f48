package config

import (
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// ChangeRecords is the change_records section: the change management
// platform each cycle keeps a change record in (ServiceNow or Jira Service
// Management). Platform empty leaves change records off.
type ChangeRecords struct {
	Platform   string // ChangeServiceNow, ChangeJira or ""
	ServiceNow ServiceNowChanges
	Jira       JiraChanges
	// Poll is how often a record awaiting approval is looked at; it is
	// the engine's ChangePoll.
	Poll time.Duration
}

// Change platforms.
const (
	ChangeServiceNow = "servicenow"
	ChangeJira       = "jira"
)

// Enabled reports whether a change platform is configured.
func (c ChangeRecords) Enabled() bool { return c.Platform != "" }

// ServiceNowChanges configures ServiceNow's Change Management API.
type ServiceNowChanges struct {
	URL             string
	Username        string
	Password        Secret
	Token           Secret
	AssignmentGroup string
	Category        string
	Fields          map[string]string
}

// JiraChanges configures Jira Service Management.
type JiraChanges struct {
	URL              string
	Email            string
	APIToken         Secret
	Token            Secret
	Project          string
	IssueType        string
	Statuses         map[string]string
	ApprovedStatuses []string
	Fields           map[string]string
}

// jiraStates are the keys of change_records.jira.statuses.
var jiraStates = []string{"requested", "implement", "review", "closed", "canceled"}

func (d *decoder) changeRecords(c *ChangeRecords) func(*yaml.Node, string) {
	return d.section(
		field{"platform", "`servicenow`, `jira` or empty (off). Each cycle then keeps one change record there, created when the cycle starts (found again by the cycle ID as correlation ID, so replicas and restarts never make a second), moved as the stages run, closed with the outcome and the report's links.", d.str(&c.Platform)},
		field{"poll", "How often a record awaiting approval is looked at.", d.duration(&c.Poll, "s")},
		field{"servicenow", "ServiceNow Change Management REST API (`/api/sn_chg_rest/v1/change`); the account needs the `itil` or `change_manager` role, and its time zone should be UTC (planned start and end are sent in it).", d.section(
			field{"url", "The instance, e.g. `https://acme.service-now.com`.", d.str(&c.ServiceNow.URL)},
			field{"username", "The integration user (basic auth, with `password`).", d.str(&c.ServiceNow.Username)},
			field{"password", "Its password.", text(d, &c.ServiceNow.Password)},
			field{"token", "An OAuth bearer token instead of username and password.", text(d, &c.ServiceNow.Token)},
			field{"assignment_group", "Assignment group of new changes (sys_id or name, as the instance accepts).", d.str(&c.ServiceNow.AssignmentGroup)},
			field{"category", "Category of new changes.", d.str(&c.ServiceNow.Category)},
			field{"fields", "Further fields set on new changes (e.g. `cmdb_ci`, `business_service`).", d.strMap(&c.ServiceNow.Fields)},
		)},
		field{"jira", "Jira Service Management through the Jira Cloud REST API v3: an issue per cycle, labelled `patchgate-<cycle>`, with the plans in its description, moved through the project's workflow and commented with the outcome.", d.section(
			field{"url", "The site, e.g. `https://acme.atlassian.net`.", d.str(&c.Jira.URL)},
			field{"email", "The account's email (basic auth, with `api_token`).", d.str(&c.Jira.Email)},
			field{"api_token", "Its API token.", text(d, &c.Jira.APIToken)},
			field{"token", "A bearer token (a Data Center personal access token) instead of email and API token.", text(d, &c.Jira.Token)},
			field{"project", "The change project's key. Required.", d.str(&c.Jira.Project)},
			field{"issue_type", "Issue type of new issues.", d.str(&c.Jira.IssueType)},
			field{"statuses", "The workflow status each state moves the issue to: `requested`, `implement`, `review`, `closed`, `canceled`; the issue takes the available transition into it. Empty: Authorize, Implementing, Review, Closed, Canceled.", d.strMap(&c.Jira.Statuses)},
			field{"approved_statuses", "Statuses that mean approved; empty reads the request's Service Management approvals instead.", d.strs(&c.Jira.ApprovedStatuses)},
			field{"fields", "Further fields set on new issues (field ID → value, e.g. `customfield_10010`).", d.strMap(&c.Jira.Fields)},
		)},
	)
}

// checkChangeRecords validates the change_records section and the tiers
// that require a change approval.
func (d *decoder) checkChangeRecords(c *Config) {
	cr := c.ChangeRecords
	switch cr.Platform {
	case "":
	case ChangeServiceNow:
		sn := cr.ServiceNow
		d.checkSecret("change_records.servicenow.password", sn.Password)
		d.checkSecret("change_records.servicenow.token", sn.Token)
		d.checkSecureURL("change_records.servicenow.url", sn.URL, "https://acme.service-now.com")
		if sn.Token.IsZero() && (sn.Username == "" || sn.Password.IsZero()) {
			d.at("change_records.servicenow", "needs username and password, or token")
		}
	case ChangeJira:
		j := cr.Jira
		d.checkSecret("change_records.jira.api_token", j.APIToken)
		d.checkSecret("change_records.jira.token", j.Token)
		d.checkSecureURL("change_records.jira.url", j.URL, "https://acme.atlassian.net")
		if j.Token.IsZero() && (j.Email == "" || j.APIToken.IsZero()) {
			d.at("change_records.jira", "needs email and api_token, or token")
		}
		if j.Project == "" {
			d.at("change_records.jira.project", "is required with platform jira (the change project's key)")
		}
		for k := range j.Statuses {
			if !slices.Contains(jiraStates, k) {
				d.at("change_records.jira.statuses."+k, "unknown state%s", want(k, jiraStates...))
			}
		}
	default:
		d.at("change_records.platform", "unknown change platform %q%s", cr.Platform, want(cr.Platform, ChangeServiceNow, ChangeJira))
	}
	d.positive("change_records.poll", cr.Poll)
	for i, t := range c.Tiers {
		if t.RequireChangeApproval && !cr.Enabled() {
			d.at(index("pipeline", i)+".require_change_approval", "needs a change platform: set change_records.platform")
		}
	}
}
