package runbooks

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FreezeUsage and UnfreezeUsage are the arguments of /patch freeze and
// unfreeze and of their CLI twins.
const (
	FreezeUsage   = "<tenant|all> <until> <reason…>"
	UnfreezeUsage = "<tenant|all> [reason…]"
)

// FreezeCommand runs /patch freeze (or `patchgate freeze`) for actor: args
// are the scope, the end (RFC 3339, a date for midnight UTC, or a length
// such as 48h or 3d from now) and the reason. It returns the reply.
func (e *Engine) FreezeCommand(ctx context.Context, args []string, actor string) (string, error) {
	if len(args) < 3 {
		return "", Errorf(CodeInvalid, "freeze needs a tenant (or all), an end and a reason: freeze %s", FreezeUsage)
	}
	until, err := parseUntil(args[1], e.now())
	if err != nil {
		return "", err
	}
	f, err := e.Freeze(ctx, FreezeRequest{Tenant: strings.ToLower(args[0]), Until: until, Reason: strings.Join(args[2:], " "), Actor: actor})
	if err != nil {
		return "", err
	}
	return "Frozen: " + f.Describe() + ". No cycle starts and no stage opens or starts a backup or patch until then; running operations finish. Recorded in the audit log.", nil
}

// UnfreezeCommand runs /patch unfreeze (or `patchgate unfreeze`) for actor.
func (e *Engine) UnfreezeCommand(ctx context.Context, args []string, actor string) (string, error) {
	if len(args) < 1 {
		return "", Errorf(CodeInvalid, "unfreeze needs a tenant (or all): unfreeze %s", UnfreezeUsage)
	}
	f, err := e.Unfreeze(ctx, FreezeRequest{Tenant: strings.ToLower(args[0]), Reason: strings.Join(args[1:], " "), Actor: actor})
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Lifted the freeze of %s (%s). Held cycles go on at their next tick. Recorded in the audit log.", f.Tenant, f.Reason), nil
}

// FreezeLines describes the freezes in force or still to come, one line
// each, for status replies and the CLI.
func (e *Engine) FreezeLines(ctx context.Context) ([]string, error) {
	fz, err := e.Freezes(ctx)
	if err != nil {
		return nil, err
	}
	now := e.now()
	out := make([]string, 0, len(fz))
	for _, f := range fz {
		l := f.Describe()
		if now.Before(f.From) {
			l = fmt.Sprintf("from %s: %s", f.From.UTC().Format("2006-01-02 15:04 UTC"), l)
		}
		out = append(out, l)
	}
	return out, nil
}

// parseUntil reads a freeze's end: RFC 3339, a date (midnight UTC), or a
// length from now (90m, 48h, 3d).
func parseUntil(s string, now time.Time) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	if d, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(d); err == nil && n > 0 {
			return now.Add(time.Duration(n) * 24 * time.Hour), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return now.Add(d), nil
	}
	return time.Time{}, Errorf(CodeInvalid, "%q is not an end: give RFC 3339 (2026-12-28T06:00:00Z), a date (2026-12-28, midnight UTC) or a length (48h, 3d)", s)
}
