package pagerduty

import (
	"context"
	"fmt"
	"net/url"

	"github.com/patchgate/patchgate/doctor"
)

// Checks are the probes of `patchgate doctor`. PagerDuty has no read-only
// call for a routing key (any event sent to it is real), so the check looks
// at the key's shape and the events URL only; no page is sent.
func (c *Client) Checks() []doctor.Check {
	return []doctor.Check{{Name: "pagerduty: routing key", Run: func(context.Context) (string, error) {
		if err := routingKeyShape(c.cfg.RoutingKey); err != nil {
			return "", doctor.Fix(err, "set providers.pagerduty.routing_key to the Integration Key of the service's Events API v2 integration (32 characters)")
		}
		u, err := url.Parse(c.cfg.EventsURL)
		if err != nil || u.Host == "" {
			return "", doctor.Fixf("set providers.pagerduty.events_url to a URL like "+DefaultEventsURL, "events URL %q is not a URL", c.cfg.EventsURL)
		}
		return fmt.Sprintf("key has the integration-key shape; events go to %s (not sent: a check would page)", u.Host), nil
	}}}
}

// routingKeyShape accepts what PagerDuty issues as an Events API v2
// integration key: 32 letters and digits. The key itself is never shown.
func routingKeyShape(k string) error {
	if len(k) != 32 {
		return fmt.Errorf("routing key has %d characters, an Events API v2 integration key has 32", len(k))
	}
	for i, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("routing key has a character other than a letter or digit at position %d", i+1)
		}
	}
	return nil
}
