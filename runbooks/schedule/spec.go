package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	cron "github.com/netresearch/go-cron"
)

// fieldNames are the five fields in order, for error messages.
var fieldNames = [5]string{"minute", "hour", "day-of-month", "month", "day-of-week"}

// parser accepts five fields plus the Quartz extensions (SUN#4, MON#L, L,
// 15W). Descriptors and hash (H) expressions are left out on purpose: a
// schedule in config should read the same to every person on call.
var parser = cron.MustNewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Extended)

// Schedule is a parsed cron expression bound to a time zone. The zero
// Schedule never fires.
type Schedule struct {
	expr string
	loc  *time.Location
	spec cron.Schedule
	// offset shifts every firing by whole days (`+12d`, see splitOffset).
	offset int
	// lead moves every firing earlier by an elapsed time (see Before).
	lead time.Duration
}

// Parse reads a five-field cron expression (minute hour day-of-month month
// day-of-week) evaluated in loc; `0 2 * * SUN#4` is 02:00 on the 4th Sunday.
// A sixth field `+Nd` shifts every firing by N days (1-27) at the same
// wall-clock time: `0 2 * * TUE#2 +12d` is 02:00 twelve days after Patch
// Tuesday.
// The zone is an argument rather than a CRON_TZ= prefix so that every caller
// must say which zone it means.
func Parse(expr string, loc *time.Location) (Schedule, error) {
	if loc == nil {
		return Schedule{}, fmt.Errorf("schedule %q: no time zone given (pass time.UTC for UTC)", expr)
	}
	fields := strings.Fields(expr)
	if len(fields) > 0 && (strings.HasPrefix(fields[0], "TZ=") || strings.HasPrefix(fields[0], "CRON_TZ=")) {
		return Schedule{}, fmt.Errorf("schedule %q: give the time zone as the location, not inside the expression", expr)
	}
	fields, offset, err := splitOffset(fields)
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w", expr, err)
	}
	if len(fields) != len(fieldNames) {
		return Schedule{}, fmt.Errorf("schedule %q: want 5 fields (minute hour day-of-month month day-of-week) and an optional +Nd offset, got %d", expr, len(fields))
	}
	if err := checkFields(fields); err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w", expr, err)
	}
	spec, err := parser.Parse(strings.Join(fields, " "))
	if err != nil {
		return Schedule{}, fmt.Errorf("schedule %q: %w", expr, err)
	}
	ss, ok := spec.(*cron.SpecSchedule)
	if !ok {
		return Schedule{}, fmt.Errorf("schedule %q: unexpected schedule type %T", expr, spec)
	}
	ss.Location = loc
	s := Schedule{expr: expr, loc: loc, spec: ss, offset: offset}
	// The library gives up (zero time) after searching a few years; an
	// expression like `0 0 30 2 *` would otherwise be accepted and never fire.
	if s.Next(time.Date(2000, 1, 1, 0, 0, 0, 0, loc)).IsZero() {
		return Schedule{}, fmt.Errorf("schedule %q: never fires", expr)
	}
	return s, nil
}

// checkFields parses each field alone (the others wildcards) so an error
// names the field at fault; the library's own messages do not.
func checkFields(fields []string) error {
	for i, f := range fields {
		probe := []string{"*", "*", "*", "*", "*"}
		probe[i] = f
		if _, err := parser.Parse(strings.Join(probe, " ")); err != nil {
			return fmt.Errorf("%s field %q: %w", fieldNames[i], f, err)
		}
	}
	return nil
}

// MustParse is Parse for expressions fixed in code; it panics on error.
func MustParse(expr string, loc *time.Location) Schedule {
	s, err := Parse(expr, loc)
	if err != nil {
		panic(err)
	}
	return s
}

// Next returns the first firing strictly after after, in the schedule's
// zone, or the zero time if there is none (or the Schedule is zero).
//
// Across DST: a wall-clock time skipped by spring-forward fires at the first
// instant after the gap (02:30 → 03:30 on that day), as ISC cron does; a
// wall-clock time repeated by fall-back fires once, at its first occurrence.
// The library fires the repeated hour twice, so Next skips the repeat.
func (s Schedule) Next(after time.Time) time.Time {
	if s.spec == nil {
		return time.Time{}
	}
	if s.lead > 0 {
		t := s.Before(0).Next(after.Add(s.lead))
		if t.IsZero() {
			return t
		}
		return t.Add(-s.lead)
	}
	if s.offset > 0 {
		return s.nextOffset(after)
	}
	return s.nextBase(after)
}

// nextBase is Next without the offset.
func (s Schedule) nextBase(after time.Time) time.Time {
	t := s.spec.Next(after)
	for !t.IsZero() && repeatsWallClock(t, s.loc) {
		t = s.spec.Next(t)
	}
	if t.IsZero() {
		return t
	}
	return t.In(s.loc)
}

// String returns the expression as given.
func (s Schedule) String() string { return s.expr }

// Location returns the zone the expression is evaluated in.
func (s Schedule) Location() *time.Location { return s.loc }

// IsZero reports whether s is the zero Schedule.
func (s Schedule) IsZero() bool { return s.spec == nil }

// errZeroSchedule is returned by Add for a job without a schedule.
var errZeroSchedule = errors.New("no schedule")
