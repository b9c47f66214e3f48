package saml

import (
	"math"
	"sort"
	"time"
)

// Levels of a Finding, in rising urgency.
const (
	LevelWarn    = "warn"
	LevelPage    = "page"
	LevelExpired = "expired"
)

// Thresholds say how far ahead of expiry to warn and to page. Zero fields
// take the defaults: warn below 60 days, page below 14.
type Thresholds struct {
	Warn time.Duration
	Page time.Duration
}

const day = 24 * time.Hour

func (th Thresholds) withDefaults() Thresholds {
	if th.Warn <= 0 {
		th.Warn = 60 * day
	}
	if th.Page <= 0 {
		th.Page = 14 * day
	}
	return th
}

// Finding is one certificate that needs action.
type Finding struct {
	Certificate Certificate
	DaysLeft    int // whole days until NotAfter, rounded down; negative once expired
	Level       string
}

// NotYetValid returns the certificates whose validity starts after now, in
// the order they start. An IdP often publishes its next certificate ahead of
// a rotation; one that is the only certificate of its entity, or one that
// was installed too early, is something a person must hear about, so the
// check reports them beside its findings.
func NotYetValid(certs []Certificate, now time.Time) []Certificate {
	var out []Certificate
	for _, c := range certs {
		if c.NotBefore.After(now) {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].NotBefore.Before(out[j].NotBefore) })
	return out
}

// Evaluate returns a Finding for each certificate expiring within th.Warn,
// most urgent first. now is passed in (not read) so tests and the scheduler
// decide the clock.
func Evaluate(certs []Certificate, now time.Time, th Thresholds) []Finding {
	th = th.withDefaults()
	var out []Finding
	for _, c := range certs {
		left := c.NotAfter.Sub(now)
		if left >= th.Warn {
			continue
		}
		f := Finding{Certificate: c, DaysLeft: int(math.Floor(float64(left) / float64(day))), Level: LevelWarn}
		switch {
		case left <= 0:
			f.Level = LevelExpired
		case left < th.Page:
			f.Level = LevelPage
		}
		out = append(out, f)
	}
	sort.SliceStable(out, func(i, j int) bool {
		return out[i].Certificate.NotAfter.Before(out[j].Certificate.NotAfter)
	})
	return out
}
