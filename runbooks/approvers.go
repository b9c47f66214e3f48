package runbooks

import (
	"context"
	"fmt"
	"slices"
)

// Approves reports whether user is one of users or a member of one of
// groups (resolved through dir). A directory error refuses (fails closed)
// rather than guessing. The pipeline's tier approvers and every other
// approver list (risk approvers of SLA exceptions) are checked through it.
func Approves(ctx context.Context, dir Directory, users, groups []string, user string) (bool, error) {
	if user != "" && slices.Contains(users, user) {
		return true, nil
	}
	for _, g := range groups {
		if dir == nil {
			break
		}
		members, err := dir.GroupMembers(ctx, g)
		if err != nil {
			return false, fmt.Errorf("resolve approver group %s: %w", g, err)
		}
		if slices.Contains(members, user) {
			return true, nil
		}
	}
	return false, nil
}
