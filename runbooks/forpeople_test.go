package runbooks

import (
	"testing"
	"time"
)

func TestForPeopleRoundsDurationsForReaders(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0s",
		850*time.Microsecond + 300:            "850µs",
		1234567:                               "1.23ms",
		12345678:                              "12.3ms",
		229212298:                             "229ms",
		2*time.Second + 449*time.Millisecond:  "2.4s",
		42*time.Second + 400*time.Millisecond: "42s",
		2*time.Minute + 229212298:             "2m",
		2*time.Minute + 5*time.Second:         "2m5s",
		59*time.Minute + 59*time.Second + 600*time.Millisecond: "1h",
		90 * time.Minute:              "1h30m",
		24*time.Hour + 20*time.Second: "24h",
		-3 * time.Second:              "-3s",
	} {
		if got := ForPeople(d); got != want {
			t.Errorf("ForPeople(%s) = %q, want %q", d, got, want)
		}
	}
}
