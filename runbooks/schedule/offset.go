package schedule

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// maxOffsetDays bounds an offset: a month's firing shifted by up to four
// weeks still comes before the next month's, so firings stay in order.
const maxOffsetDays = 27

var offsetField = regexp.MustCompile(`^\+([0-9]+)d$`)

// splitOffset takes a trailing "+Nd" off fields: `0 2 * * TUE#2 +12d` is
// 02:00 twelve days after the second Tuesday (Patch Tuesday). It returns
// the five cron fields and the offset in days (0 without one).
func splitOffset(fields []string) ([]string, int, error) {
	if len(fields) != len(fieldNames)+1 {
		return fields, 0, nil
	}
	m := offsetField.FindStringSubmatch(fields[len(fields)-1])
	if m == nil {
		if strings.HasPrefix(fields[len(fields)-1], "+") || strings.HasPrefix(fields[len(fields)-1], "-") {
			return nil, 0, fmt.Errorf("offset %q: write +Nd, N days from 1 to %d", fields[len(fields)-1], maxOffsetDays)
		}
		return fields, 0, nil
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n < 1 || n > maxOffsetDays {
		return nil, 0, fmt.Errorf("offset %q: N days must be 1 to %d", fields[len(fields)-1], maxOffsetDays)
	}
	return fields[:len(fields)-1], n, nil
}

// shift is t moved by days at the same wall-clock time of loc (a DST
// change in between keeps the local time, as the unshifted firing does).
func shift(t time.Time, days int, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+days, l.Hour(), l.Minute(), l.Second(), 0, loc)
}

// nextOffset is Next for a schedule with an offset: the first base firing
// whose shifted time is after after.
func (s Schedule) nextOffset(after time.Time) time.Time {
	// Base firings before after-offset (less a DST margin) shift to before
	// after, so the search starts there.
	b := s.nextBase(after.AddDate(0, 0, -s.offset).Add(-3 * time.Hour))
	for !b.IsZero() {
		if t := shift(b, s.offset, s.loc); t.After(after) {
			return t
		}
		b = s.nextBase(b)
	}
	return time.Time{}
}
