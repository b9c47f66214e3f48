package schedule

import "time"

// dstShifts are the sizes of real DST transitions (Lord Howe shifts by 30
// minutes, Troll by two hours, everyone else by one).
var dstShifts = []time.Duration{30 * time.Minute, time.Hour, 2 * time.Hour}

// repeatsWallClock reports whether the local wall-clock minute of t already
// happened earlier that night, i.e. t is the second pass through an hour
// that fall-back repeated. Such a firing was already due at the first pass.
func repeatsWallClock(t time.Time, loc *time.Location) bool {
	local := t.In(loc)
	for _, d := range dstShifts {
		if sameWallMinute(t.Add(-d).In(loc), local) {
			return true
		}
	}
	return false
}

func sameWallMinute(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd && a.Hour() == b.Hour() && a.Minute() == b.Minute()
}
