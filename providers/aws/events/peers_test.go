package events_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/patchgate/patchgate/providers/aws/events"
)

// A queue endpoint that answers 500 with an HTML page, or accepts the
// connection and never answers, fails the poll within its budget (the
// poller then backs off and retries); nothing is recorded or deleted.
func TestConfigEventHostileQueuePeerFailsThePollInItsBudget(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
	}))
	t.Cleanup(html.Close)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() }) // held open, never answered
		}
	}()
	sink := newSink(t, &notices{})
	for name, url := range map[string]string{"500 with HTML": html.URL, "black hole": "http://" + l.Addr().String()} {
		api := sqs.NewFromConfig(aws.Config{Region: region, Credentials: staticCreds, RetryMaxAttempts: 1},
			func(o *sqs.Options) { o.BaseEndpoint = aws.String(url) })
		in := events.NewIntake(sink, events.NewTriage(tenants(), tagMap{}, nil), rules, nil)
		p, err := events.NewPoller(api, in, events.PollerConfig{QueueURL: url + "/123456789012/patchgate-intake",
			Wait: time.Second, StepTimeout: time.Second}, nil)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		st, err := p.PollOnce(context.Background())
		if err == nil || st.Received != 0 {
			t.Errorf("%s: poll = %+v, %v; want an error", name, st, err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("%s: the poll took %v, past its 2s budget", name, d)
		}
	}
	if got := sink.recorded(); len(got) != 0 {
		t.Errorf("recorded %v", got)
	}
}
