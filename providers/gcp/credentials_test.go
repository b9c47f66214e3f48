package gcp

import (
	"context"
	"testing"

	"github.com/patchgate/patchgate/internal/testkit"
)

// The production path: no WithoutAuthentication, a service-account key
// file whose token_uri is the fake's token endpoint. Both API clients (the
// OS Config one through the quota limiter) must send the issued token.
func TestCredentialsFileAuthenticatesBothAPIs(t *testing.T) {
	clk := testkit.NewClock(t0)
	srv := fake(t, clk)
	fleet(srv)
	path := srv.ServiceAccountFile(t)
	p := newProvider(t, srv, clk, func(c *Config) { c.Options = nil; c.CredentialsFile = path })
	hosts, err := p.Hosts(context.Background(), tenant, prodDR)
	if err != nil || len(hosts) != 4 {
		t.Fatalf("Hosts = %d hosts, %v", len(hosts), err)
	}
	all := srv.Count("compute.instances.aggregatedList") + srv.Count("osconfig.inventories.list")
	if n := srv.Count("authenticated"); n != all {
		t.Errorf("%d of %d API requests carried the issued token", n, all)
	}
	if srv.Count("oauth2.token") < 1 {
		t.Error("no token was requested")
	}
}
