package bot

import (
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

func TestButtonValueRoundTrip(t *testing.T) {
	for _, v := range []ButtonValue{
		{Cycle: "acme-cu-20261122-0200-a1b2c3", Stage: "nonprod", Action: runbooks.Approve, Revision: 7},
		{Cycle: "c|with|pipes", Stage: "production", Action: runbooks.Exclude, Revision: 1 << 40},
		{Cycle: "c", Action: runbooks.Resume},
	} {
		s := EncodeButtonValue(v)
		if len(s) > 2000 {
			t.Errorf("%+v: value is %d chars, Slack allows 2000", v, len(s))
		}
		got, err := DecodeButtonValue(s)
		if err != nil || got != v {
			t.Errorf("round trip of %+v via %s = %+v, %v", v, s, got, err)
		}
	}
}

func TestDecodeButtonValueRefuses(t *testing.T) {
	for _, s := range []string{
		"", "nope", `{"s":"nonprod","a":"approve","r":1}`, `{"c":"x","a":"launch","r":1}`,
		`{"c":"x","a":"approve","r":-1}`, `{"c":"x","a":"approve","r":"7"}`, `[1,2]`,
	} {
		if v, err := DecodeButtonValue(s); err == nil {
			t.Errorf("DecodeButtonValue(%q) = %+v, want an error", s, v)
		}
	}
}

func TestActionIDsAreStable(t *testing.T) {
	want := map[runbooks.DecisionAction]string{
		runbooks.Approve: "patchgate.approve", runbooks.Reject: "patchgate.reject",
		runbooks.HaltCycle: "patchgate.halt", runbooks.Resume: "patchgate.resume",
		runbooks.Retry: "patchgate.retry", runbooks.Exclude: "patchgate.proceed-with-exclusions",
	}
	for a, id := range want {
		if got := ActionID(a); got != id {
			t.Errorf("ActionID(%s) = %q, want %q", a, got, id)
		}
	}
}
