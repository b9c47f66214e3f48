package schedule

import (
	"strings"
	"testing"
	"time"
)

// TestScheduleOffset: "second Tuesday + 12 days" fires twelve days after
// Patch Tuesday at the same wall-clock time, across months and across the
// spring-forward change in America/Chicago.
func TestScheduleOffset(t *testing.T) {
	chicago, err := time.LoadLocation("America/Chicago")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		expr  string
		loc   *time.Location
		after string
		want  []string
	}{
		{"0 2 * * TUE#2 +12d", time.UTC, "2026-12-01T00:00:00Z", []string{"2026-12-20T02:00:00Z", "2027-01-24T02:00:00Z", "2027-02-21T02:00:00Z"}},
		{"0 2 * * TUE#2 +12d", time.UTC, "2026-12-10T00:00:00Z", []string{"2026-12-20T02:00:00Z"}},
		{"0 2 * * TUE#2 +12d", time.UTC, "2026-12-20T02:00:00Z", []string{"2027-01-24T02:00:00Z"}},
		// Patch Tuesday 2027-03-09 is CST; +12 days is 2027-03-21, CDT.
		{"0 2 * * TUE#2 +12d", chicago, "2027-03-01T00:00:00Z", []string{"2027-03-21T07:00:00Z", "2027-04-25T07:00:00Z"}},
		{"30 1 * * SUN#4 +1d", time.UTC, "2026-12-01T00:00:00Z", []string{"2026-12-28T01:30:00Z"}},
	}
	for _, tt := range tests {
		s, err := Parse(tt.expr, tt.loc)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.expr, err)
		}
		at := mustTime(t, tt.after)
		for _, w := range tt.want {
			at = s.Next(at)
			if !at.Equal(mustTime(t, w)) {
				t.Errorf("%s in %s after %s: got %s, want %s", tt.expr, tt.loc, tt.after, at.UTC().Format(time.RFC3339), w)
				break
			}
		}
	}
	for expr, want := range map[string]string{
		"0 2 * * TUE#2 +28d": "1 to 27",
		"0 2 * * TUE#2 +0d":  "1 to 27",
		"0 2 * * TUE#2 -1d":  "write +Nd",
		"0 2 * * TUE#2 +12":  "write +Nd",
	} {
		if _, err := Parse(expr, time.UTC); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error with %q", expr, err, want)
		}
	}
}
