package config

import "regexp"

var (
	// names are used in store keys, Slack text and cloud tags.
	namePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	slackUser   = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)
	slackGroup  = regexp.MustCompile(`^S[A-Z0-9]{2,}$`)
)

func (d *decoder) checkPipeline(tiers []Tier) {
	if !d.set("pipeline") {
		// The defaults name no approvers; say so once, not once per tier.
		d.at("pipeline", "missing: the default tiers nonprod, staging and production need approvers or groups, so write the pipeline out")
		return
	}
	if len(tiers) == 0 {
		d.at("pipeline", "needs at least one environment tier")
		return
	}
	first := map[string]int{}
	for i, t := range tiers {
		p := index("pipeline", i)
		d.checkTier(p, t)
		if j, dup := first[t.Env]; dup && t.Env != "" {
			d.at(p+".env", "duplicate environment %q; pipeline[%d] already defines it", t.Env, j)
		} else {
			first[t.Env] = i
		}
	}
}

// checkTier checks one tier's approval policy. The production tier (the
// last one unless declared) is held to production's bar unless a waiver
// says otherwise.
func (d *decoder) checkTier(p string, t Tier) {
	switch {
	case t.Env == "":
		d.at(p+".env", "is required")
	case !namePattern.MatchString(t.Env):
		d.at(p+".env", "%q must be lowercase letters, digits and hyphens", t.Env)
	}
	d.checkApprovers(p, t)
	if t.SensorPolicy != SensorBlock && t.SensorPolicy != SensorExclude {
		d.at(p+".sensor_policy", "unknown sensor policy %q%s", t.SensorPolicy, want(t.SensorPolicy, SensorBlock, SensorExclude))
	}
	if t.MinApprovals < 1 {
		d.at(p+".min_approvals", "must be at least 1, got %d", t.MinApprovals)
	}
	d.notNegative(p+".soak", t.Soak)
	if t.Production && t.Staging {
		d.at(p+".staging", "tier %q cannot be both production and staging", t.Env)
	}
	if t.Production && t.AutoRemediate {
		d.at(p+".auto_remediate", "production tier %q cannot auto-remediate: its remediations need their approvers", t.Env)
	}
	if !t.Production {
		if t.WaiveMinApprovals {
			d.at(p+".waive_min_approvals", "only applies to production (the last tier, or one declared production: true)")
		}
		if t.WaiveFourEyes {
			d.at(p+".waive_four_eyes", "only applies to production (the last tier, or one declared production: true)")
		}
		return
	}
	if t.MinApprovals < 2 && !t.WaiveMinApprovals {
		d.at(p+".min_approvals", "production tier %q needs at least 2 approvals, got %d; set waive_min_approvals: true to accept fewer",
			t.Env, t.MinApprovals)
	}
	if !t.FourEyes && !t.WaiveFourEyes {
		d.at(p+".four_eyes", "production tier %q needs four_eyes: true; set waive_four_eyes: true to let requesters approve their own cycles",
			t.Env)
	}
}

// checkApprovers wants Slack IDs, not names: names and handles change and
// can be reused, and the approval check compares IDs.
func (d *decoder) checkApprovers(p string, t Tier) {
	for j, a := range t.Approvers {
		if !slackUser.MatchString(a) {
			d.at(index(p+".approvers", j), "%q is not a Slack user ID (U… or W…, from the profile's \"Copy member ID\")", a)
		}
	}
	for j, g := range t.Groups {
		if !slackGroup.MatchString(g) {
			d.at(index(p+".groups", j), "%q is not a Slack user-group ID (S…)", g)
		}
	}
	users, groups := 0, 0
	for j, a := range t.EmergencyApprovers {
		switch {
		case slackGroup.MatchString(a):
			groups++
		case slackUser.MatchString(a):
			users++
		default:
			d.at(index(p+".emergency_approvers", j), "%q is neither a Slack user ID (U…/W…) nor a user-group ID (S…)", a)
		}
	}
	if t.Production && groups == 0 && users == 1 {
		d.at(p+".emergency_approvers", "lists one person: an emergency change in production still needs two approvers and four eyes")
	}
	switch {
	case len(t.Approvers)+len(t.Groups) == 0:
		d.at(p+".approvers", "no approvers or groups: nobody could approve %s", t.Env)
	case len(t.Groups) == 0 && t.MinApprovals > len(t.Approvers):
		d.at(p+".min_approvals", "needs %d approvals but lists %d approver(s) and no groups", t.MinApprovals, len(t.Approvers))
	}
}
