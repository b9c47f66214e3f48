package saml

import (
	"strings"
	"testing"
	"time"
)

// TestEvaluateLevelsFromRealMetadata runs generated certificates through real
// metadata XML, so parsing and the decision are proven together.
func TestEvaluateLevelsFromRealMetadata(t *testing.T) {
	doc := entities(
		entity("https://okta.bank", keyDesc{"signing", wrap(newCertB64(t, "warn", 45, 45*day), 64)}),
		entity("https://adfs.bank",
			keyDesc{"signing", newCertB64(t, "page", 10, 10*day)},
			keyDesc{"encryption", newCertB64(t, "expired", 99, -3*day)},
			keyDesc{"signing", newCertB64(t, "healthy", 365, 365*day)}),
	)
	certs, err := ParseMetadata("fleet.xml", strings.NewReader(doc), Limits{})
	if err != nil {
		t.Fatal(err)
	}
	got := Evaluate(certs, testNow, Thresholds{})
	want := []struct {
		cn, level string
		days      int
	}{{"expired", LevelExpired, -3}, {"page", LevelPage, 10}, {"warn", LevelWarn, 45}}
	if len(got) != len(want) {
		t.Fatalf("got %d findings, want %d (the 365-day certificate must not be reported): %+v", len(got), len(want), got)
	}
	for i, w := range want {
		f := got[i]
		if !strings.Contains(f.Certificate.Subject, "CN="+w.cn) || f.Level != w.level || f.DaysLeft != w.days {
			t.Errorf("finding %d = %s %s %d days, want %s %s %d", i, f.Certificate.Subject, f.Level, f.DaysLeft, w.cn, w.level, w.days)
		}
	}
}

func TestEvaluateThresholdBoundaries(t *testing.T) {
	at := func(d time.Duration) []Certificate { return []Certificate{{NotAfter: testNow.Add(d)}} }
	tests := []struct {
		name  string
		left  time.Duration
		th    Thresholds
		level string // "" means no finding
	}{
		{"exactly 60 days is not reported", 60 * day, Thresholds{}, ""},
		{"just under 60 days warns", 60*day - time.Second, Thresholds{}, LevelWarn},
		{"exactly 14 days warns", 14 * day, Thresholds{}, LevelWarn},
		{"just under 14 days pages", 14*day - time.Second, Thresholds{}, LevelPage},
		{"expiring now is expired", 0, Thresholds{}, LevelExpired},
		{"custom warn 90 days", 80 * day, Thresholds{Warn: 90 * day}, LevelWarn},
		{"custom page 30 days", 20 * day, Thresholds{Page: 30 * day}, LevelPage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(at(tt.left), testNow, tt.th)
			if tt.level == "" {
				if len(got) != 0 {
					t.Fatalf("got %+v, want nothing", got)
				}
				return
			}
			if len(got) != 1 || got[0].Level != tt.level {
				t.Fatalf("got %+v, want level %s", got, tt.level)
			}
		})
	}
}
