package config

import (
	"fmt"
	"strings"
)

var cronFields = [5]string{"minute", "hour", "day-of-month", "month", "day-of-week"}

// checkCron checks only the shape of a five-field cron expression: the
// field count and the characters each field may hold (names such as JAN and
// SUN in month and day-of-week, # for "nth weekday" in day-of-week). Full
// parsing belongs to the scheduler; this catches the six-field Quartz
// expression and the pasted "@weekly" early, with the line they are on.
func checkCron(expr string) error {
	fields := strings.Fields(expr)
	if len(fields) != len(cronFields) {
		return fmt.Errorf("cron expression %q has %d fields, want 5: %s",
			expr, len(fields), strings.Join(cronFields[:], " "))
	}
	for i, f := range fields {
		for _, r := range f {
			if !cronRune(i, r) {
				if r == '#' {
					return fmt.Errorf("cron expression %q: # is only allowed in day-of-week", expr)
				}
				return fmt.Errorf("cron expression %q: %s field %q may not contain %q", expr, cronFields[i], f, r)
			}
		}
	}
	return nil
}

func cronRune(field int, r rune) bool {
	switch {
	case r >= '0' && r <= '9', strings.ContainsRune("*,-/", r):
		return true
	case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z':
		return field >= 3 // JAN, SUN
	case r == '#':
		return field == 4
	}
	return false
}
