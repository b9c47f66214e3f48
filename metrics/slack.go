package metrics

import (
	"net/http"
	"strconv"
	"strings"
)

// SlackTransport wraps next (nil: http.DefaultTransport) so every Slack Web
// API call is counted by API method and HTTP status, and every 429 also in
// slack_api_rate_limited_total. Give it to the Slack client's http.Client.
func (m *Metrics) SlackTransport(next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return slackTransport{next: next, m: m}
}

type slackTransport struct {
	next http.RoundTripper
	m    *Metrics
}

func (t slackTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	method := SlackMethod(req.URL.Path)
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.m.slackCalls.WithLabelValues(method, "error").Inc()
		return resp, err
	}
	t.m.slackCalls.WithLabelValues(method, strconv.Itoa(resp.StatusCode)).Inc()
	if resp.StatusCode == http.StatusTooManyRequests {
		t.m.slackLimited.WithLabelValues(method).Inc()
	}
	return resp, nil
}

// SlackMethod names the Web API method of a request path
// ("/api/chat.postMessage" → "chat.postMessage"). Anything else (a file
// upload URL) is "other", so a URL carrying IDs never becomes a label.
func SlackMethod(path string) string {
	i := strings.LastIndex(path, "/api/")
	if i < 0 {
		return "other"
	}
	m := path[i+len("/api/"):]
	if m == "" || strings.Contains(m, "/") || len(m) > 64 {
		return "other"
	}
	return m
}
