package runbooks

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Window is a recurring change window: a weekday (every week, or the nth or
// last of its month), a local start time, and either a local end time or a
// length, in an IANA zone. Two spellings:
//
//	SUN 02:00-06:00 America/Chicago   every Sunday, 02:00 to 06:00 local
//	SUN#4 02:00 4h                    the 4th Sunday, four hours from 02:00
//
// The zone is optional (the caller's default). A window whose end is not
// after its start ends the next day (SAT 22:00-02:00).
//
// Across DST, times are wall-clock times of the zone: a start skipped by
// spring-forward opens at the same wall time on the new offset (02:00 →
// 03:00 CDT), as the scheduler fires; a start repeated by fall-back opens at
// its first occurrence. An end time is a wall-clock time too, so
// 02:00-06:00 lasts 3 h on the spring-forward Sunday and 5 h on the
// fall-back one (01:00-02:00 repeated); a length is elapsed time.
type Window struct {
	Spec    string
	Weekday time.Weekday
	// Nth is the weekday's occurrence in its month (1-5), -1 for the last,
	// or 0 for every week.
	Nth   int
	Start time.Duration // from local midnight
	End   time.Duration // from local midnight; used when Length is 0
	// Length is the elapsed length of the window; 0 means it ends at End.
	Length time.Duration
	Loc    *time.Location
}

var weekdays = map[string]time.Weekday{
	"SUN": time.Sunday, "MON": time.Monday, "TUE": time.Tuesday, "WED": time.Wednesday,
	"THU": time.Thursday, "FRI": time.Friday, "SAT": time.Saturday,
}

// maxWindowLength keeps a weekly window from overlapping the next one.
const maxWindowLength = 7 * 24 * time.Hour

// ParseWindow reads a window spec; def is the zone when the spec names none.
func ParseWindow(spec string, def *time.Location) (Window, error) {
	f := strings.Fields(spec)
	if len(f) < 2 || len(f) > 4 {
		return Window{}, fmt.Errorf("window %q: want DAY[#N] HH:MM-HH:MM [zone] or DAY[#N] HH:MM LENGTH [zone], e.g. SUN 02:00-06:00 America/Chicago", spec)
	}
	w := Window{Spec: spec, Loc: def}
	if err := w.parseDay(f[0]); err != nil {
		return Window{}, fmt.Errorf("window %q: %w", spec, err)
	}
	rest := f[1:]
	if from, to, ok := strings.Cut(rest[0], "-"); ok {
		var err error
		if w.Start, err = clock(from); err != nil {
			return Window{}, fmt.Errorf("window %q: start: %w", spec, err)
		}
		if w.End, err = clock(to); err != nil {
			return Window{}, fmt.Errorf("window %q: end: %w", spec, err)
		}
		if w.End == w.Start {
			return Window{}, fmt.Errorf("window %q: start and end are the same time", spec)
		}
		rest = rest[1:]
	} else {
		var err error
		if w.Start, err = clock(rest[0]); err != nil {
			return Window{}, fmt.Errorf("window %q: start: %w", spec, err)
		}
		if len(rest) < 2 {
			return Window{}, fmt.Errorf("window %q: give an end (02:00-06:00) or a length (02:00 4h)", spec)
		}
		if w.Length, err = time.ParseDuration(rest[1]); err != nil {
			return Window{}, fmt.Errorf("window %q: length %q is not a duration like 4h or 90m", spec, rest[1])
		}
		if w.Length <= 0 || w.Length > maxWindowLength {
			return Window{}, fmt.Errorf("window %q: length must be more than 0 and at most 168h, got %s", spec, rest[1])
		}
		rest = rest[2:]
	}
	switch len(rest) {
	case 0:
	case 1:
		loc, err := loadZone(rest[0])
		if err != nil {
			return Window{}, fmt.Errorf("window %q: unknown time zone %q; use an IANA name, e.g. America/Chicago", spec, rest[0])
		}
		w.Loc = loc
	default:
		return Window{}, fmt.Errorf("window %q: unexpected %q after the zone", spec, strings.Join(rest[1:], " "))
	}
	if w.Loc == nil {
		w.Loc = time.UTC
	}
	return w, nil
}

// parseDay reads SUN, SUN#4 or SUN#L.
func (w *Window) parseDay(s string) error {
	day, nth, hasNth := strings.Cut(strings.ToUpper(s), "#")
	wd, ok := weekdays[day]
	if !ok {
		return fmt.Errorf("day %q is not one of SUN MON TUE WED THU FRI SAT", s)
	}
	w.Weekday = wd
	if !hasNth {
		return nil
	}
	if nth == "L" {
		w.Nth = -1
		return nil
	}
	n, err := strconv.Atoi(nth)
	if err != nil || n < 1 || n > 5 {
		return fmt.Errorf("day %q: #N must be 1 to 5, or L for the last", s)
	}
	w.Nth = n
	return nil
}

// clock reads HH:MM (24:00 allowed, as an end).
func clock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(s, ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// zones caches loaded zones: LoadLocation reads the zone database on every
// call, and Next parses a stage's window on every tick.
var zones sync.Map

func loadZone(name string) (*time.Location, error) {
	if l, ok := zones.Load(name); ok {
		return l.(*time.Location), nil
	}
	if name == "Local" {
		return nil, errors.New("the zone Local depends on the host")
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, err
	}
	zones.Store(name, l)
	return l, nil
}

// Span is one occurrence of a window: [Start, End).
type Span struct {
	Start time.Time `json:"start"`
	End   time.Time `json:"end"`
}

// Contains reports whether t is inside the span.
func (s Span) Contains(t time.Time) bool { return !t.Before(s.Start) && t.Before(s.End) }

// IsZero reports whether the span is unset.
func (s Span) IsZero() bool { return s.Start.IsZero() }

// Open reports whether the window is open at now and, if so, the occurrence
// that contains now.
func (w Window) Open(now time.Time) (Span, bool) {
	for _, s := range w.spansAround(now) {
		if s.Contains(now) {
			return s, true
		}
	}
	return Span{}, false
}

// NextOpen is the first occurrence that starts after now.
func (w Window) NextOpen(now time.Time) Span {
	for _, s := range w.spansAround(now) {
		if s.Start.After(now) {
			return s
		}
	}
	return Span{}
}

// spansAround lists occurrences from the week before now up to far enough
// ahead that an nth-weekday window (a 5th Sunday can be months away) has one.
func (w Window) spansAround(now time.Time) []Span {
	local := now.In(w.Loc)
	d := time.Date(local.Year(), local.Month(), local.Day(), 12, 0, 0, 0, w.Loc).AddDate(0, 0, -8)
	var out []Span
	for range 8 + 400 {
		if d.Weekday() == w.Weekday && w.nthMatches(d) {
			out = append(out, w.span(d))
		}
		d = d.AddDate(0, 0, 1)
	}
	return out
}

func (w Window) nthMatches(d time.Time) bool {
	switch {
	case w.Nth == 0:
		return true
	case w.Nth < 0:
		return d.AddDate(0, 0, 7).Month() != d.Month()
	}
	return (d.Day()-1)/7+1 == w.Nth
}

// span is the occurrence that starts on day d.
func (w Window) span(d time.Time) Span {
	start := wallClock(d, w.Start, w.Loc)
	if w.Length > 0 {
		return Span{Start: start, End: start.Add(w.Length)}
	}
	endDay := d
	if w.End <= w.Start {
		endDay = d.AddDate(0, 0, 1)
	}
	return Span{Start: start, End: wallClock(endDay, w.End, w.Loc)}
}

// wallClock is the instant the zone's clocks show offset past midnight on
// day d: the first of two when fall-back repeats it, the same wall time on
// the new offset when spring-forward skips it.
func wallClock(d time.Time, offset time.Duration, loc *time.Location) time.Time {
	h, m := int(offset/time.Hour), int(offset%time.Hour/time.Minute)
	y, mo, dd := d.Date()
	// The offset in force before the day's clock change decides both cases.
	before := time.Date(y, mo, dd, 0, 0, 0, 0, loc).Add(-time.Hour)
	_, off := before.Zone()
	t := time.Date(y, mo, dd, h, m, 0, 0, time.UTC).Add(-time.Duration(off) * time.Second).In(loc)
	if lh, lm := t.Hour(), t.Minute(); lh == h%24 && lm == m {
		return t // the wall time exists on the earlier offset: its first occurrence
	}
	if h == 24 {
		return time.Date(y, mo, dd+1, 0, 0, 0, 0, loc)
	}
	// The earlier offset no longer holds at that wall time: either the
	// time falls in a spring-forward gap (t is then the same wall time on
	// the new offset, one shift later) or the offset changed earlier in the
	// day; the zone's own offset at that wall time decides.
	u := time.Date(y, mo, dd, h, m, 0, 0, loc)
	if u.Hour() == h && u.Minute() == m {
		return u
	}
	return t
}

// String returns the spec as written.
func (w Window) String() string { return w.Spec }
