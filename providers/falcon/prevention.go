package falcon

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/crowdstrike/gofalcon/falcon/client/alerts"
	"github.com/crowdstrike/gofalcon/falcon/client/host_group"
	"github.com/crowdstrike/gofalcon/falcon/client/ioa_exclusions"
	"github.com/crowdstrike/gofalcon/falcon/client/ml_exclusions"
	"github.com/crowdstrike/gofalcon/falcon/client/prevention_policies"
	"github.com/crowdstrike/gofalcon/falcon/models"

	"github.com/patchgate/patchgate/runbooks"
)

// The prevention rollout's calls and the API scopes they need (docs list
// them; deploy/terraform does not hold Falcon scopes):
//
//	GET  /policy/queries/ml-exclusions/v1, /policy/entities/ml-exclusions/v1    ml-exclusions:read
//	GET  /policy/queries/ioa-exclusions/v1, /policy/entities/ioa-exclusions/v1  ioa-exclusions:read
//	GET  /policy/entities/prevention/v1                                          prevention-policies:read
//	POST /policy/entities/prevention-actions/v1 (add-/remove-host-group)         prevention-policies:write
//	GET  /devices/queries/host-group-members/v1                                  host-group:read
//	GET  /alerts/queries/alerts/v2                                               alerts:read
var _ runbooks.PreventionConsole = (*Client)(nil)

const (
	exclusionPage    = 500  // the exclusion queries' maximum limit
	exclusionEntries = 100  // IDs per exclusion entities read
	groupMemberPage  = 5000 // host group members per page
)

// Exclusions lists the machine-learning and IOA exclusions.
func (c *Client) Exclusions(ctx context.Context) ([]runbooks.EDRExclusion, error) {
	ml, err := c.mlExclusions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list falcon ML exclusions: %w", err)
	}
	ioa, err := c.ioaExclusions(ctx)
	if err != nil {
		return nil, fmt.Errorf("list falcon IOA exclusions: %w", err)
	}
	return append(ml, ioa...), nil
}

func (c *Client) mlExclusions(ctx context.Context) ([]runbooks.EDRExclusion, error) {
	ids, err := pageIDs(func(offset int64) (*idPage, error) {
		limit := int64(exclusionPage)
		res, err := c.api.MlExclusions.QueryMLExclusionsV1(&ml_exclusions.QueryMLExclusionsV1Params{Context: ctx, Limit: &limit, Offset: &offset})
		if err != nil {
			return nil, c.redact(err)
		}
		p := res.GetPayload()
		return &idPage{p.Errors, p.Meta, p.Resources}, nil
	})
	if err != nil {
		return nil, err
	}
	var out []runbooks.EDRExclusion
	for batch := range chunks(ids, exclusionEntries) {
		res, err := c.api.MlExclusions.GetMLExclusionsV1(&ml_exclusions.GetMLExclusionsV1Params{Context: ctx, Ids: batch})
		if err != nil {
			return nil, c.redact(err)
		}
		p := res.GetPayload()
		if err := apiErrors(p.Errors); err != nil {
			return nil, err
		}
		for _, x := range p.Resources {
			if x == nil {
				continue
			}
			out = append(out, runbooks.EDRExclusion{ID: deref(x.ID), Kind: runbooks.ExclusionML, Name: deref(x.Value),
				Patterns: nonEmpty(deref(x.Value), deref(x.RegexpValue)), Global: deref(x.AppliedGlobally), Groups: x.Groups})
		}
	}
	return out, nil
}

func (c *Client) ioaExclusions(ctx context.Context) ([]runbooks.EDRExclusion, error) {
	ids, err := pageIDs(func(offset int64) (*idPage, error) {
		limit := int64(exclusionPage)
		res, err := c.api.IoaExclusions.QueryIOAExclusionsV1(&ioa_exclusions.QueryIOAExclusionsV1Params{Context: ctx, Limit: &limit, Offset: &offset})
		if err != nil {
			return nil, c.redact(err)
		}
		p := res.GetPayload()
		return &idPage{p.Errors, p.Meta, p.Resources}, nil
	})
	if err != nil {
		return nil, err
	}
	var out []runbooks.EDRExclusion
	for batch := range chunks(ids, exclusionEntries) {
		res, err := c.api.IoaExclusions.GetIOAExclusionsV1(&ioa_exclusions.GetIOAExclusionsV1Params{Context: ctx, Ids: batch})
		if err != nil {
			return nil, c.redact(err)
		}
		p := res.GetPayload()
		if err := apiErrors(p.Errors); err != nil {
			return nil, err
		}
		for _, x := range p.Resources {
			if x == nil {
				continue
			}
			var groups []string
			for _, g := range x.Groups {
				if g != nil {
					groups = append(groups, deref(g.ID))
				}
			}
			out = append(out, runbooks.EDRExclusion{ID: deref(x.ID), Kind: runbooks.ExclusionIOA, Name: deref(x.Name),
				Patterns: nonEmpty(deref(x.IfnRegex), deref(x.ClRegex), deref(x.Name)), Global: deref(x.AppliedGlobally), Groups: groups})
		}
	}
	return out, nil
}

// AssignHostGroup adds group to prevention policy to and removes it from
// policy from, reading both first so a resumed step changes nothing twice.
func (c *Client) AssignHostGroup(ctx context.Context, group, to, from string) (runbooks.PolicyMove, error) {
	mv := runbooks.PolicyMove{Source: runbooks.SourceFalcon}
	ids := nonEmpty(to, from)
	res, err := c.api.PreventionPolicies.GetPreventionPolicies(&prevention_policies.GetPreventionPoliciesParams{Context: ctx, Ids: ids})
	var p *models.PreventionRespV1
	var notFound *prevention_policies.GetPreventionPoliciesNotFound
	switch {
	case errors.As(err, &notFound): // Falcon answers 404 with the policies it knows
		p = notFound.GetPayload()
	case err != nil:
		return mv, fmt.Errorf("read prevention policies %s: %w", strings.Join(ids, ", "), c.redact(err))
	default:
		p = res.GetPayload()
		if err := apiErrors(p.Errors); err != nil {
			return mv, err
		}
	}
	members := map[string][]string{}
	for _, pol := range p.Resources {
		if pol == nil {
			continue
		}
		for _, g := range pol.Groups {
			if g != nil {
				members[deref(pol.ID)] = append(members[deref(pol.ID)], deref(g.ID))
			}
		}
		members[deref(pol.ID)] = append(members[deref(pol.ID)], "") // seen
	}
	for _, id := range ids {
		if _, ok := members[id]; !ok {
			return mv, runbooks.Errorf(runbooks.CodeBlocked, "falcon has no prevention policy %s", id)
		}
	}
	if !slices.Contains(members[to], group) {
		if err := c.policyAction(ctx, "add-host-group", to, group); err != nil {
			return mv, err
		}
		mv.Added = true
	}
	if from != "" && slices.Contains(members[from], group) {
		if err := c.policyAction(ctx, "remove-host-group", from, group); err != nil {
			return mv, err
		}
		mv.Removed = true
	}
	return mv, nil
}

func (c *Client) policyAction(ctx context.Context, action, policy, group string) error {
	name := "group_id"
	res, err := c.api.PreventionPolicies.PerformPreventionPoliciesAction(&prevention_policies.PerformPreventionPoliciesActionParams{
		Context: ctx, ActionName: action,
		Body: &models.MsaEntityActionRequestV2{Ids: []string{policy}, ActionParameters: []*models.MsaspecActionParameter{{Name: &name, Value: &group}}},
	})
	if err != nil {
		return fmt.Errorf("%s %s on prevention policy %s: %w", action, group, policy, c.redact(err))
	}
	return apiErrors(res.GetPayload().Errors)
}

// Detections counts the alerts on the group's hosts created since the
// given time, by severity: one count query per severity and batch of
// hosts (the query's total is the count).
func (c *Client) Detections(ctx context.Context, group string, since time.Time) (runbooks.DetectionCounts, error) {
	dc := runbooks.DetectionCounts{Counts: runbooks.Counts{}, Since: since, At: c.clock.Now(), Source: runbooks.SourceFalcon}
	devices, err := pageIDs(func(offset int64) (*idPage, error) {
		limit := int64(groupMemberPage)
		res, err := c.api.HostGroup.QueryGroupMembers(&host_group.QueryGroupMembersParams{Context: ctx, ID: &group, Limit: &limit, Offset: &offset})
		if err != nil {
			return nil, c.redact(err)
		}
		p := res.GetPayload()
		return &idPage{p.Errors, p.Meta, p.Resources}, nil
	})
	if err != nil {
		return dc, fmt.Errorf("list members of host group %s: %w", group, err)
	}
	dc.Hosts = len(devices)
	after := since.UTC().Format(time.RFC3339)
	for batch := range filterBatches(devices) {
		for _, sev := range runbooks.Severities {
			filter := fqlAny("device.device_id", batch) + "+created_timestamp:>='" + after + "'+severity_name:'" + titleCase(sev) + "'"
			limit := int64(1)
			res, err := c.api.Alerts.QueryV2(&alerts.QueryV2Params{Context: ctx, Filter: &filter, Limit: &limit})
			if err != nil {
				return dc, fmt.Errorf("count %s alerts of host group %s: %w", sev, group, c.redact(err))
			}
			p := res.GetPayload()
			if err := apiErrors(p.Errors); err != nil {
				return dc, err
			}
			if p.Meta == nil || p.Meta.Pagination == nil || p.Meta.Pagination.Total == nil {
				return dc, fmt.Errorf("count %s alerts of host group %s: the answer has no pagination total", sev, group)
			}
			if n := int(*p.Meta.Pagination.Total); n > 0 {
				dc.Counts[sev] += n
			}
		}
	}
	return dc, nil
}

// pageIDs follows an offset-paged ID query to its end.
func pageIDs(query func(offset int64) (*idPage, error)) ([]string, error) {
	var ids []string
	for {
		p, err := query(int64(len(ids)))
		if err != nil {
			return nil, err
		}
		if err := apiErrors(p.Errors); err != nil {
			return nil, err
		}
		ids = append(ids, p.Resources...)
		total := int64(-1)
		if p.Meta != nil && p.Meta.Pagination != nil && p.Meta.Pagination.Total != nil {
			total = *p.Meta.Pagination.Total
		}
		if len(p.Resources) == 0 || total < 0 || int64(len(ids)) >= total {
			return ids, nil
		}
	}
}

// idPage is the shape every ID query answers (gofalcon has two names for
// it).
type idPage struct {
	Errors    []*models.MsaAPIError
	Meta      *models.MsaMetaInfo
	Resources []string
}

func nonEmpty(vs ...string) []string {
	var out []string
	for _, v := range vs {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
