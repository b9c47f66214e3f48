package events_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/aws/events"
)

// tagMap answers tags from a map, as EC2 would for those instances.
type tagMap map[string]map[string]string

func (m tagMap) InstanceTags(_ context.Context, _, _, id string) (map[string]string, bool, error) {
	t, ok := m[id]
	return t, ok, nil
}

// The signed HTTP intake records a signed event once (a replay inside the
// window is harmless), and refuses unsigned, badly signed, stale and
// malformed requests with 401/400, recording nothing for them; the secret
// never reaches the log.
func TestConfigEventHTTPIntakeRecordsSignedEventsAndRefusesTheRest(t *testing.T) {
	secret := []byte("s3cr3t-intake-hmac-key")
	sink := newSink(t, &notices{})
	clock := testkit.NewClock(time.Date(2026, 12, 3, 9, 15, 0, 0, time.UTC))
	var log logBuffer
	lg := slog.New(slog.NewTextHandler(&log, nil))
	tags := tagMap{"i-0a1b2c3d4e5f60718": {"patchgate:env": "production"}}
	in := events.NewIntake(sink, events.NewTriage(tenants(), tags, clock), rules, lg)
	srv := httptest.NewServer(bot.IntakeHandler(in, bot.IntakeOptions{Secret: secret, Clock: clock, Log: lg}))
	t.Cleanup(srv.Close)

	good := fixture(t, "evt-http", motoAccount, "i-0a1b2c3d4e5f60718", "NON_COMPLIANT")
	post := func(body []byte, sign func(http.Header)) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL+bot.PathConfigEvents, bytes.NewReader(body))
		if sign != nil {
			sign(req.Header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	signed := func(body []byte, key []byte, at time.Time) func(http.Header) {
		return func(h http.Header) { bot.SignIntake(h, key, at, body) }
	}
	now := clock.Now()
	refusals := []struct {
		name string
		body []byte
		sign func(http.Header)
		want int
	}{
		{"unsigned", good, nil, http.StatusUnauthorized},
		{"signed with another key", good, signed(good, []byte("guess"), now), http.StatusUnauthorized},
		{"signature over another body", good, signed([]byte(`{}`), secret, now), http.StatusUnauthorized},
		{"stale timestamp (replay)", good, signed(good, secret, now.Add(-6*time.Minute)), http.StatusUnauthorized},
		{"future timestamp", good, signed(good, secret, now.Add(6*time.Minute)), http.StatusUnauthorized},
		{"signed but malformed", []byte(`{"id":"x"`), signed([]byte(`{"id":"x"`), secret, now), http.StatusBadRequest},
		{"signed but another rule", bytes.Replace(good, []byte("ec2-managedinstance-patch-compliance-status-check"), []byte("s3-bucket-public-read-prohibited"), -1),
			nil, http.StatusBadRequest},
	}
	for _, c := range refusals {
		if c.sign == nil && c.want == http.StatusBadRequest {
			c.sign = signed(c.body, secret, now)
		}
		if got := post(c.body, c.sign); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
	if got := sink.recorded(); len(got) != 0 {
		t.Fatalf("refused requests recorded %v", got)
	}
	for range 2 {
		if got := post(good, signed(good, secret, now)); got != http.StatusOK {
			t.Fatalf("signed event: status %d, want 200", got)
		}
	}
	got := sink.recorded()
	if ev := got["evt-http"]; len(got) != 1 || ev.Tenant != "acme-cu" || ev.Env != "production" || ev.Source != "http" {
		t.Errorf("recorded %+v, want evt-http in acme-cu/production from http", got)
	}
	if strings.Contains(log.String(), string(secret)) {
		t.Errorf("the intake secret reached the log")
	}
}
