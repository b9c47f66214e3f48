package config

import (
	"time"

	"github.com/patchgate/patchgate/runbooks/schedule"
)

// checkCron parses expr with the scheduler's own parser, in the configured
// zone, so `config validate` accepts exactly the expressions `serve` can
// schedule: a range out of bounds, SUN#6 and an expression that never fires
// (0 2 30 2 *) fail here, with the line, instead of crash-looping the pod.
// A zone that does not load has its own error; the expression is then
// checked in UTC.
func checkCron(expr, timezone string) error {
	loc := time.UTC
	if timezone != "" && timezone != "Local" {
		if l, err := time.LoadLocation(timezone); err == nil {
			loc = l
		}
	}
	_, err := schedule.Parse(expr, loc)
	return err
}
