package doctor

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestDoctorRunTimesOutEachCheckAlone: a check that never answers fails
// with its own timeout named, a panicking check fails, and the others keep
// their results and their order.
func TestDoctorRunTimesOutEachCheckAlone(t *testing.T) {
	checks := []Check{
		{Name: "silent", Timeout: 50 * time.Millisecond, Run: func(ctx context.Context) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		}},
		{Name: "fine", Run: func(context.Context) (string, error) { return "all good", nil }},
		{Name: "broken", Run: func(context.Context) (string, error) {
			return "", Fix(errors.New("token refused"), "set the token")
		}},
		{Name: "panics", Run: func(context.Context) (string, error) { panic("boom") }},
	}
	res := Run(context.Background(), checks)
	if len(res) != 4 || res[0].Name != "silent" || res[1].Name != "fine" || res[3].Name != "panics" {
		t.Fatalf("results out of order: %+v", res)
	}
	if res[0].OK() || !strings.Contains(res[0].Detail, "no answer within 50ms") || res[0].Fix == "" {
		t.Errorf("silent check = %+v, want a failure naming its timeout, with a fix", res[0])
	}
	if !res[1].OK() || res[1].Detail != "all good" {
		t.Errorf("fine check = %+v", res[1])
	}
	if res[2].OK() || res[2].Fix != "set the token" {
		t.Errorf("broken check = %+v, want its fix", res[2])
	}
	if res[3].OK() || !strings.Contains(res[3].Detail, "boom") {
		t.Errorf("panicking check = %+v", res[3])
	}
	var out bytes.Buffer
	if n := Print(&out, res); n != 3 {
		t.Errorf("Print counted %d failures, want 3", n)
	}
	for _, want := range []string{"FAIL    silent", "ok      fine", "set the token", "3 of 4 check(s) failed"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
