package config

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

var dayOrWeek = regexp.MustCompile(`^(\d+)([dw])$`)

// parseDuration is time.ParseDuration with errors that say how to fix the
// value. A bare number is the usual slip ("soak: 24"), and days or weeks are
// the usual wish, so both get a worked example.
func parseDuration(s, unit string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err == nil {
		return d, nil
	}
	if _, ferr := strconv.ParseFloat(s, 64); ferr == nil {
		return 0, fmt.Errorf("bad duration %q: missing unit, e.g. %s%s", s, s, unit)
	}
	if m := dayOrWeek.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		hours := map[string]int{"d": 24, "w": 24 * 7}[m[2]] * n
		return 0, fmt.Errorf("bad duration %q: the largest unit is h, e.g. %dh", s, hours)
	}
	return 0, fmt.Errorf("bad duration %q: want a number and a unit (ns, us, ms, s, m, h), e.g. 30s", s)
}
