package aws

import (
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Every account of a region calls one regional endpoint, so the client
// keeps a connection for each call sixteen accounts can have in flight;
// with the SDK's default of 10 idle connections per host, calls beyond
// that would each dial (and in AWS, handshake TLS) again.
func TestInventoryKeepsConnectionsPerCallInFlight(t *testing.T) {
	for _, bound := range []int{0, 4, 8, 32} {
		cfg := testConfig("http://127.0.0.1:1", "")
		cfg.AccountConcurrency = bound
		p := newProvider(t, cfg)
		c, ok := p.base.HTTPClient.(*awshttp.BuildableClient)
		if !ok {
			t.Fatalf("HTTP client %T, want the SDK's buildable client", p.base.HTTPClient)
		}
		tr := c.GetTransport()
		want := idleAccounts * p.cfg.AccountConcurrency
		if tr.MaxIdleConnsPerHost < want || tr.MaxIdleConns < tr.MaxIdleConnsPerHost {
			t.Errorf("bound %d: %d idle connections per host (%d in all), want at least %d", bound, tr.MaxIdleConnsPerHost, tr.MaxIdleConns, want)
		}
		if c.GetTimeout() != p.budget.PerAttempt {
			t.Errorf("bound %d: timeout %v, want the per-attempt budget %v", bound, c.GetTimeout(), p.budget.PerAttempt)
		}
	}
}
