package runbooks

import (
	"errors"
	"fmt"
	"testing"

	"github.com/patchgate/patchgate/state"
)

func TestErrorCodeOfStoreOutage(t *testing.T) {
	raw := fmt.Errorf("get cycles/active/c1: %w: dial unix /run/redis.sock: connect: refused", state.ErrUnavailable)
	if got := ErrorCode(raw); got != CodeUnavailable {
		t.Errorf("uncoded store outage: code %q, want %q", got, CodeUnavailable)
	}
	if got := ErrorMessage(raw); got != storeUnavailableMessage {
		t.Errorf("message %q leaks or differs", got)
	}
	if got := ErrorCode(storeErr("read cycle c1", raw)); got != CodeUnavailable {
		t.Errorf("wrapped: code %q", got)
	}
	if got := ErrorCode(errors.New("decode: bad json")); got != CodeInternal {
		t.Errorf("other errors stay internal: %q", got)
	}
}
