package schedule

import (
	"strings"
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load zone %s: %v", name, err)
	}
	return loc
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("parse time %s: %v", s, err)
	}
	return at
}

func TestNext(t *testing.T) {
	tests := []struct {
		name, expr, zone, from string
		want                   []string // successive firings, RFC3339 in UTC
	}{
		{"4th Sunday across month and year", "0 2 * * SUN#4", "UTC", "2026-11-01T00:00:00Z",
			[]string{"2026-11-22T02:00:00Z", "2026-12-27T02:00:00Z", "2027-01-24T02:00:00Z", "2027-02-28T02:00:00Z"}},
		{"from the firing itself moves on", "0 2 * * SUN#4", "UTC", "2026-11-22T02:00:00Z",
			[]string{"2026-12-27T02:00:00Z"}},
		// Chicago springs forward 2027-03-14 02:00 CST → 03:00 CDT: 02:00 does
		// not exist, so it fires at 03:00 CDT (08:00Z), then normally.
		{"Chicago spring-forward fires 03:00 local", "0 2 * * SUN#2", "America/Chicago", "2027-03-01T00:00:00Z",
			[]string{"2027-03-14T08:00:00Z", "2027-04-11T07:00:00Z"}},
		// Chicago falls back 2026-11-01 02:00 CDT → 01:00 CST: 01:30 happens
		// twice; it fires at the first (CDT, 06:30Z) only.
		{"Chicago fall-back fires once", "30 1 * * SUN#1", "America/Chicago", "2026-10-30T00:00:00Z",
			[]string{"2026-11-01T06:30:00Z", "2026-12-06T07:30:00Z"}},
		{"Chicago fall-back from between the passes", "30 1 * * SUN#1", "America/Chicago", "2026-11-01T07:00:00Z",
			[]string{"2026-12-06T07:30:00Z"}},
		// Berlin springs forward 2027-03-28 (the 4th Sunday) 02:00 CET → 03:00 CEST.
		{"Berlin spring-forward fires 03:00 local", "0 2 * * SUN#4", "Europe/Berlin", "2027-03-01T00:00:00Z",
			[]string{"2027-03-28T01:00:00Z", "2027-04-25T00:00:00Z"}},
		// Berlin falls back 2026-10-25 (the 4th Sunday) 03:00 CEST → 02:00 CET.
		{"Berlin fall-back fires once", "0 2 * * SUN#4", "Europe/Berlin", "2026-10-01T00:00:00Z",
			[]string{"2026-10-25T00:00:00Z", "2026-11-22T01:00:00Z"}},
		{"Berlin daily across fall-back", "30 2 * * *", "Europe/Berlin", "2026-10-23T23:00:00Z",
			[]string{"2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"}},
		{"last Monday", "0 6 * * MON#L", "UTC", "2026-11-01T00:00:00Z",
			[]string{"2026-11-30T06:00:00Z", "2026-12-28T06:00:00Z"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc := mustZone(t, tt.zone)
			s, err := Parse(tt.expr, loc)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			at := mustTime(t, tt.from)
			for i, w := range tt.want {
				at = s.Next(at)
				if !at.Equal(mustTime(t, w)) {
					t.Fatalf("firing %d = %s (%s), want %s", i, at.UTC().Format(time.RFC3339), at, w)
				}
				if at.Location() != loc {
					t.Errorf("firing %d in %s, want %s", i, at.Location(), loc)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		expr string
		loc  *time.Location
		want string // substring of the error
	}{
		{"61 2 * * *", time.UTC, `minute field "61"`},
		{"0 24 * * *", time.UTC, `hour field "24"`},
		{"0 2 32 * *", time.UTC, `day-of-month field "32"`},
		{"0 2 * 13 *", time.UTC, `month field "13"`},
		{"0 2 * * SUN#6", time.UTC, `day-of-week field "SUN#6"`},
		{"0 2 * * FUNDAY", time.UTC, `day-of-week field "FUNDAY"`},
		{"0 2 * *", time.UTC, "want 5 fields"},
		{"0 0 2 * * *", time.UTC, "want 5 fields"},
		{"", time.UTC, "want 5 fields"},
		{"CRON_TZ=Europe/Berlin 0 2 * * *", time.UTC, "time zone as the location"},
		{"0 2 * * SUN#4", nil, "no time zone"},
		{"0 0 30 2 *", time.UTC, "never fires"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := Parse(tt.expr, tt.loc)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse(%q) error = %v, want it to mention %q", tt.expr, err, tt.want)
			}
		})
	}
}

func TestZeroScheduleNeverFires(t *testing.T) {
	if got := (Schedule{}).Next(time.Now()); !got.IsZero() {
		t.Fatalf("zero Schedule fired at %s", got)
	}
}
