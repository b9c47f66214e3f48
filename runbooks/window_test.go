package runbooks

import (
	"strings"
	"testing"
	"time"
)

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestChangeWindowMath checks occurrences against hand-computed instants,
// including the spring-forward (2026-03-08) and fall-back (2026-11-01)
// Sundays of America/Chicago.
func TestChangeWindowMath(t *testing.T) {
	tests := []struct {
		name, spec, now string
		open            bool
		start, end      string // the containing span when open, else the next one
	}{
		{"ordinary summer Sunday, before", "SUN 02:00-06:00 America/Chicago", "2026-03-14T12:00:00Z", false, "2026-03-15T07:00:00Z", "2026-03-15T11:00:00Z"},
		{"ordinary winter Sunday, inside", "SUN 02:00-06:00 America/Chicago", "2026-11-22T09:00:00Z", true, "2026-11-22T08:00:00Z", "2026-11-22T12:00:00Z"},
		{"spring forward: 02:00 does not exist, opens 03:00 CDT, 3h long", "SUN 02:00-06:00 America/Chicago", "2026-03-07T18:00:00Z", false, "2026-03-08T08:00:00Z", "2026-03-08T11:00:00Z"},
		{"spring forward: inside", "SUN 02:00-06:00 America/Chicago", "2026-03-08T10:59:00Z", true, "2026-03-08T08:00:00Z", "2026-03-08T11:00:00Z"},
		{"spring forward: a length is elapsed time", "SUN 02:00 4h America/Chicago", "2026-03-07T18:00:00Z", false, "2026-03-08T08:00:00Z", "2026-03-08T12:00:00Z"},
		{"fall back: 02:00-06:00 is after the repeated hour, 4h", "SUN 02:00-06:00 America/Chicago", "2026-10-31T18:00:00Z", false, "2026-11-01T08:00:00Z", "2026-11-01T12:00:00Z"},
		{"fall back: 00:00-04:00 spans the repeated hour, 5h", "SUN 00:00-04:00 America/Chicago", "2026-10-31T18:00:00Z", false, "2026-11-01T05:00:00Z", "2026-11-01T10:00:00Z"},
		{"fall back: a repeated start opens at its first occurrence", "SUN 01:30 1h America/Chicago", "2026-10-31T18:00:00Z", false, "2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z"},
		{"fall back: inside the second 01:xx is inside", "SUN 01:00-03:00 America/Chicago", "2026-11-01T07:30:00Z", true, "2026-11-01T06:00:00Z", "2026-11-01T09:00:00Z"},
		{"4th Sunday, default zone", "SUN#4 02:00 4h", "2026-12-06T16:00:00Z", false, "2026-12-27T02:00:00Z", "2026-12-27T06:00:00Z"},
		{"4th Sunday, inside", "SUN#4 02:00 4h", "2026-11-22T05:59:59Z", true, "2026-11-22T02:00:00Z", "2026-11-22T06:00:00Z"},
		{"4th Sunday, at the end is closed", "SUN#4 02:00 4h", "2026-11-22T06:00:00Z", false, "2026-12-27T02:00:00Z", "2026-12-27T06:00:00Z"},
		{"at the start is open", "SUN 02:00-06:00 UTC", "2026-11-22T02:00:00Z", true, "2026-11-22T02:00:00Z", "2026-11-22T06:00:00Z"},
		{"last Friday of the month", "FRI#L 20:00 2h UTC", "2026-12-01T00:00:00Z", false, "2026-12-25T20:00:00Z", "2026-12-25T22:00:00Z"},
		{"5th Sunday skips months without one", "SUN#5 02:00 1h UTC", "2026-12-01T00:00:00Z", false, "2027-01-31T02:00:00Z", "2027-01-31T03:00:00Z"},
		{"past midnight: opened the day before", "SAT 22:00-02:00 UTC", "2026-12-06T01:00:00Z", true, "2026-12-05T22:00:00Z", "2026-12-06T02:00:00Z"},
		{"lower-case day", "sun 02:00-06:00 Europe/Berlin", "2026-03-28T12:00:00Z", false, "2026-03-29T01:00:00Z", "2026-03-29T04:00:00Z"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, err := ParseWindow(tt.spec, time.UTC)
			if err != nil {
				t.Fatal(err)
			}
			now := utc(tt.now)
			span, open := w.Open(now)
			if !open {
				span = w.NextOpen(now)
			}
			if open != tt.open {
				t.Errorf("open at %s = %v, want %v", tt.now, open, tt.open)
			}
			if !span.Start.Equal(utc(tt.start)) || !span.End.Equal(utc(tt.end)) {
				t.Errorf("span = %s – %s, want %s – %s", span.Start.UTC().Format(time.RFC3339), span.End.UTC().Format(time.RFC3339), tt.start, tt.end)
			}
		})
	}
}

// TestChangeWindowNextAfterOpen: while one occurrence is open, NextOpen is
// the following one, which is what a stage left with too little time waits for.
func TestChangeWindowNextAfterOpen(t *testing.T) {
	w, err := ParseWindow("SUN 02:00-06:00 America/Chicago", time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	got := w.NextOpen(utc("2026-03-08T10:00:00Z"))
	if want := utc("2026-03-15T07:00:00Z"); !got.Start.Equal(want) {
		t.Errorf("next = %s, want %s", got.Start, want)
	}
}

func TestChangeWindowParseErrors(t *testing.T) {
	for spec, want := range map[string]string{
		"":                               "want DAY",
		"XYZ 02:00 4h":                   "not one of SUN",
		"SUN#6 02:00 4h":                 "#N must be 1 to 5",
		"SUN 25:00 1h":                   "not a time of day",
		"SUN 02:00":                      "give an end",
		"SUN 02:00-02:00":                "the same time",
		"SUN 02:00 4x":                   "not a duration",
		"SUN 02:00 200h":                 "at most 168h",
		"SUN 02:00 4h Mars/Olympus_Mons": "unknown time zone",
		"SUN 02:00-06:00 UTC extra":      "unexpected",
		"SUN 02:00 4h Local":             "unknown time zone",
		"SUN 2:0-06:00":                  "not a time of day",
	} {
		_, err := ParseWindow(spec, time.UTC)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseWindow(%q) = %v, want an error with %q", spec, err, want)
		}
	}
}
