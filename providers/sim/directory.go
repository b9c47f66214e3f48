package sim

import (
	"context"

	"github.com/patchgate/patchgate/runbooks"
)

// GroupMembers returns the members of a configured user group; an unknown
// group is an error, as it is in Slack.
func (f *Fleet) GroupMembers(ctx context.Context, group string) ([]string, error) {
	var out []string
	err := f.call(ctx, MethodGroupMembers, func(int) error {
		members, ok := f.cfg.Groups[group]
		if !ok {
			return runbooks.Errorf(runbooks.CodeNotFound, "sim: no user group %q", group)
		}
		out = append([]string{}, members...)
		return nil
	})
	return out, err
}

// Person names a simulated user as such: the simulation has no directory of
// people, and its evidence must never pass for a real one.
func (f *Fleet) Person(ctx context.Context, id string) (runbooks.Person, error) {
	err := f.call(ctx, MethodGroupMembers, func(int) error { return nil })
	if err != nil {
		return runbooks.Person{}, err
	}
	return runbooks.Person{ID: id, Name: "simulated user " + id}, nil
}
