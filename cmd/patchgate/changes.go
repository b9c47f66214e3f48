package main

import (
	"context"
	"fmt"

	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/doctor"
	"github.com/patchgate/patchgate/providers/jira"
	"github.com/patchgate/patchgate/providers/servicenow"
	"github.com/patchgate/patchgate/runbooks"
)

// changeClient is a change platform's client: the port and its doctor rows.
type changeClient interface {
	runbooks.ChangeRecords
	Checks() []doctor.Check
}

// newChangeRecords builds the client of change_records.platform, nil when
// change records are off. Credentials are resolved here and nowhere else.
func newChangeRecords(cfg *config.Config, w wiring) (changeClient, error) {
	cr := cfg.ChangeRecords
	switch cr.Platform {
	case "":
		return nil, nil
	case config.ChangeServiceNow:
		sn := cr.ServiceNow
		password, err := sn.Password.Resolve(w.lookup)
		if err != nil {
			return nil, fmt.Errorf("change_records.servicenow.password: %w", err)
		}
		token, err := sn.Token.Resolve(w.lookup)
		if err != nil {
			return nil, fmt.Errorf("change_records.servicenow.token: %w", err)
		}
		c, err := servicenow.New(servicenow.Config{URL: sn.URL, Username: sn.Username, Password: password, Token: token,
			AssignmentGroup: sn.AssignmentGroup, Category: sn.Category, Fields: sn.Fields, StepTimeout: cfg.Engine.StepTimeout})
		if err != nil {
			return nil, fmt.Errorf("change_records.servicenow: %w", err)
		}
		return c, nil
	case config.ChangeJira:
		j := cr.Jira
		apiToken, err := j.APIToken.Resolve(w.lookup)
		if err != nil {
			return nil, fmt.Errorf("change_records.jira.api_token: %w", err)
		}
		token, err := j.Token.Resolve(w.lookup)
		if err != nil {
			return nil, fmt.Errorf("change_records.jira.token: %w", err)
		}
		statuses := map[string]string{}
		for k, v := range jira.DefaultStatuses {
			statuses[k] = v
		}
		for k, v := range j.Statuses {
			statuses[k] = v
		}
		c, err := jira.New(jira.Config{URL: j.URL, Email: j.Email, APIToken: apiToken, Token: token, Project: j.Project,
			IssueType: j.IssueType, Statuses: statuses, ApprovedStatuses: j.ApprovedStatuses, Fields: j.Fields,
			StepTimeout: cfg.Engine.StepTimeout})
		if err != nil {
			return nil, fmt.Errorf("change_records.jira: %w", err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("change_records.platform: unknown platform %q", cr.Platform)
}

// changeChecks is the doctor's row for the configured change platform.
func changeChecks(cfg *config.Config, w wiring, failed func(name string, err error, fix string)) []doctor.Check {
	c, err := newChangeRecords(cfg, w)
	switch {
	case err != nil:
		failed("change records", err, "set the secret or setting the error names")
		return nil
	case c == nil:
		return nil
	}
	return c.Checks()
}

// unbuiltChanges stands in for the change platform in a read-only command.
type unbuiltChanges struct {
	unbuilt
	platform string
}

var _ runbooks.ChangeRecords = unbuiltChanges{}

func (u unbuiltChanges) Platform() string { return u.platform }
func (u unbuiltChanges) Create(context.Context, runbooks.ChangeSpec) (runbooks.ChangeStatus, error) {
	return runbooks.ChangeStatus{}, u.err()
}
func (u unbuiltChanges) Transition(context.Context, string, runbooks.ChangeKind, runbooks.ChangeState, string) (runbooks.ChangeStatus, error) {
	return runbooks.ChangeStatus{}, u.err()
}
func (u unbuiltChanges) Close(context.Context, string, runbooks.ChangeOutcome) (runbooks.ChangeStatus, error) {
	return runbooks.ChangeStatus{}, u.err()
}
func (u unbuiltChanges) Get(context.Context, string) (runbooks.ChangeStatus, error) {
	return runbooks.ChangeStatus{}, u.err()
}
