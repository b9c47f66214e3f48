package config

import (
	"strings"
	"testing"
)

func TestSuggest(t *testing.T) {
	keys := []string{"tick", "lease_ttl", "workers", "max_steps", "max_errors", "step_timeout"}
	for word, want := range map[string]string{
		"leaseTTL": "lease_ttl", "worker": "workers", "max-errors": "max_errors", "steptimeout": "step_timeout",
		"colour": "", "t": "", strings.Repeat("x", 100): "",
	} {
		got, ok := suggest(word, keys)
		if !ok {
			got = ""
		}
		if got != want {
			t.Errorf("suggest(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	for in, want := range map[string]string{
		"24":   `bad duration "24": missing unit, e.g. 24h`,
		"2w":   `bad duration "2w": the largest unit is h, e.g. 336h`,
		"1h5x": `bad duration "1h5x": want a number and a unit (ns, us, ms, s, m, h), e.g. 30s`,
		"0":    "",
		"90m":  "",
	} {
		_, err := parseDuration(in, "h")
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != want {
			t.Errorf("parseDuration(%q) error = %q, want %q", in, got, want)
		}
	}
}

func TestCheckCron(t *testing.T) {
	for expr, wantErr := range map[string]string{
		"0 2 * * SUN#4":           "",
		"0 2 * * 0#4":             "",
		"*/5 0-23 1,15 * MON-FRI": "",
		"0 2 L * *":               "",
		"@weekly":                 "want 5 fields",
		"0 2 * * SUN#4 2026":      "want 5 fields",
		"0 2 * * SUN#6":           `day-of-week field "SUN#6"`,
		"61 25 * * *":             `minute field "61"`,
		"0 2 30 2 *":              "never fires",
		"0#1 2 * * SUN":           `minute field "0#1"`,
	} {
		err := checkCron(expr, "America/Chicago")
		if (err == nil) != (wantErr == "") || err != nil && !strings.Contains(err.Error(), wantErr) {
			t.Errorf("checkCron(%q) = %v, want %q", expr, err, wantErr)
		}
	}
}
