package falcon

import (
	"context"
	"errors"
	"fmt"

	"github.com/crowdstrike/gofalcon/falcon/client/hosts"
	"github.com/crowdstrike/gofalcon/falcon/client/sensor_update_policies"
	"golang.org/x/oauth2"

	"github.com/patchgate/patchgate/doctor"
)

// Checks are the read-only probes of `patchgate doctor`: the OAuth2 client
// credentials, and one call of each API the gates use with a page of one,
// which fails with 403 when the API client lacks that API scope.
func (c *Client) Checks() []doctor.Check {
	hostsRead := func(ctx context.Context) error {
		limit, filter := int64(1), "hostname:'*'"
		res, err := c.api.Hosts.QueryDevicesByFilterScroll(&hosts.QueryDevicesByFilterScrollParams{Context: ctx, Filter: &filter, Limit: &limit})
		if err != nil {
			return err // classified first, redacted when shown
		}
		return apiErrors(res.GetPayload().Errors)
	}
	kernelsRead := func(ctx context.Context) error {
		limit := int64(1)
		res, err := c.api.SensorUpdatePolicies.QueryCombinedSensorUpdateKernels(
			&sensor_update_policies.QueryCombinedSensorUpdateKernelsParams{Context: ctx, Limit: &limit})
		if err != nil {
			return err // classified first, redacted when shown
		}
		return apiErrors(res.GetPayload().Errors)
	}
	return []doctor.Check{
		{Name: "falcon: OAuth2 token", Run: func(ctx context.Context) (string, error) {
			err := hostsRead(ctx)
			if isOAuth(err) {
				return "", doctor.Fix(fmt.Errorf("falcon token: %w", c.redact(err)),
					"set providers.falcon client_id and client_secret to an API client of this Falcon cloud (providers.falcon.cloud)")
			}
			if isForbidden(err) || err == nil {
				return "token issued", nil
			}
			return "", doctor.Fix(c.redact(err), "check providers.falcon.cloud and that the Falcon API is reachable from here")
		}},
		c.scopeCheck("Hosts: read", "devices-scroll query", hostsRead),
		c.scopeCheck("Sensor update policies: read", "supported-kernels query", kernelsRead),
	}
}

func (c *Client) scopeCheck(scope, call string, run func(context.Context) error) doctor.Check {
	return doctor.Check{Name: "falcon: API scope " + scope, Run: func(ctx context.Context) (string, error) {
		err := run(ctx)
		switch {
		case err == nil:
			return call + " answered", nil
		case isForbidden(err):
			return "", doctor.Fix(fmt.Errorf("%s refused: %w", call, c.redact(err)),
				fmt.Sprintf("give the API client the %q scope (Falcon console → API clients and keys)", scope))
		}
		return "", doctor.Fix(fmt.Errorf("%s: %w", call, c.redact(err)), "fix the OAuth2 row first, then retry")
	}}
}

func isOAuth(err error) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re)
}

// isForbidden: gofalcon returns a typed *…Forbidden for HTTP 403.
func isForbidden(err error) bool {
	var h *hosts.QueryDevicesByFilterScrollForbidden
	var k *sensor_update_policies.QueryCombinedSensorUpdateKernelsForbidden
	return errors.As(err, &h) || errors.As(err, &k)
}
