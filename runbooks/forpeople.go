package runbooks

import (
	"strings"
	"time"
)

// ForPeople writes a duration the way a person reads it: about three
// significant figures below a minute ("229ms", "2.5s", "42s"), whole
// seconds below an hour ("2m5s", "2m"), whole minutes above ("1h30m",
// "24h"). Every message, report and CLI line that shows a duration uses it,
// so a soak reads "2m" and not "2m0.229212298s".
func ForPeople(d time.Duration) string {
	if d < 0 {
		return "-" + ForPeople(-d)
	}
	var unit time.Duration
	switch {
	case d == 0:
		return "0s"
	case d < time.Millisecond:
		unit = time.Microsecond
	case d < 10*time.Millisecond:
		unit = 10 * time.Microsecond
	case d < 100*time.Millisecond:
		unit = 100 * time.Microsecond
	case d < time.Second:
		unit = time.Millisecond
	case d < 10*time.Second:
		unit = 100 * time.Millisecond
	case d < time.Hour:
		unit = time.Second
	default:
		unit = time.Minute
	}
	s := d.Round(unit).String()
	if d >= time.Minute {
		// Round leaves zero seconds and minutes spelled out: "2m0s", "24h0m0s".
		s = strings.TrimSuffix(s, "0s")
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
	}
	return s
}
