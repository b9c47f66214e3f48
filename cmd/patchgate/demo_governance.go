package main

import (
	"fmt"
	"strings"
	"time"
)

// demoGovernance is the demo's change window and freeze, relative to when
// the demo starts: production's window opened an hour ago and lasts a day
// (so the story runs through it and its report shows the window), and a
// month-end freeze of all tenants is configured a month ahead, which
// /patch status lists.
func demoGovernance(now time.Time) (window, freezes string) {
	open := now.UTC().Truncate(time.Hour).Add(-time.Hour)
	window = fmt.Sprintf("%s %s 24h UTC", strings.ToUpper(open.Weekday().String()[:3]), open.Format("15:04"))
	from := now.UTC().AddDate(0, 1, 0)
	freezes = fmt.Sprintf("freezes:\n  - {tenant: all, from: %s, until: %s, reason: month-end processing}\n",
		from.Format("2006-01-02"), from.AddDate(0, 0, 2).Format("2006-01-02"))
	return window, freezes
}
