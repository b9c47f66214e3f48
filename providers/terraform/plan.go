package terraform

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	tfjson "github.com/hashicorp/terraform-json"
)

// ParseOptions control what a parsed Change carries.
type ParseOptions struct {
	// IncludeValues adds before/after values of changed paths. Sensitive
	// values are masked even then.
	IncludeValues bool
}

// ParsePlanJSON reads the output of `terraform show -json <planfile>` and
// returns the resource drift and the planned resource changes, paths only.
func ParsePlanJSON(b []byte) (drift, changes []Change, err error) {
	return ParsePlanJSONWith(b, ParseOptions{})
}

// ParsePlanJSONWith is ParsePlanJSON with options.
func ParsePlanJSONWith(b []byte, opts ParseOptions) (drift, changes []Change, err error) {
	var p tfjson.Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, nil, fmt.Errorf("parse terraform plan JSON: %w", err)
	}
	drift, changes = fromPlan(&p, opts)
	return drift, changes, nil
}

// fromPlan converts both change lists. No-op resource changes are dropped:
// a plan lists every resource, and a report wants only what moves.
func fromPlan(p *tfjson.Plan, opts ParseOptions) (drift, changes []Change) {
	for _, rc := range p.ResourceDrift {
		if c, ok := fromResourceChange(rc, opts); ok {
			drift = append(drift, c)
		}
	}
	for _, rc := range p.ResourceChanges {
		if c, ok := fromResourceChange(rc, opts); ok {
			changes = append(changes, c)
		}
	}
	return drift, changes
}

// changedOutputs names root outputs whose value the plan changes.
func changedOutputs(p *tfjson.Plan) []string {
	var names []string
	for name, ch := range p.OutputChanges {
		if ch != nil && !ch.Actions.NoOp() {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

func fromResourceChange(rc *tfjson.ResourceChange, opts ParseOptions) (Change, bool) {
	if rc == nil || rc.Change == nil {
		return Change{}, false
	}
	act := actionOf(rc.Change.Actions)
	if act == ActionNoOp {
		return Change{}, false
	}
	c := Change{Address: rc.Address, Type: rc.Type, Action: act}
	ch := rc.Change
	// A created or deleted object changes as a whole; listing every attribute
	// would bury the one line that matters.
	if ch.Before == nil || ch.After == nil {
		return c, true
	}
	for _, path := range diffPaths(ch.Before, ch.After) {
		ps := pathString(path)
		c.Paths = append(c.Paths, ps)
		if !opts.IncludeValues {
			continue
		}
		pv := PathValue{Path: ps, Before: valueAt(ch.Before, path), After: valueAt(ch.After, path)}
		if isSensitive(ch.BeforeSensitive, path) || isSensitive(ch.AfterSensitive, path) {
			pv = PathValue{Path: ps, Before: Masked, After: Masked, Sensitive: true}
		}
		c.Values = append(c.Values, pv)
	}
	return c, true
}

func actionOf(a tfjson.Actions) Action {
	switch {
	case a.Replace():
		return ActionReplace
	case a.Create():
		return ActionCreate
	case a.Delete():
		return ActionDelete
	case a.Update():
		return ActionUpdate
	case a.Read():
		return ActionRead
	case a.NoOp():
		return ActionNoOp
	}
	parts := make([]string, len(a))
	for i, x := range a {
		parts[i] = string(x)
	}
	return Action(strings.Join(parts, ","))
}
