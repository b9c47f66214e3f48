package terraform

import (
	"strings"
	"testing"
)

func TestRedactorClean(t *testing.T) {
	ws := Workspace{
		Vars: map[string]string{
			"db_password": "short1",
			"region":      "us-east-1",
			"blob":        "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=",
		},
		BackendConfig: map[string]string{"access_key": "AKIAABCDEFGHIJKLMNOP", "bucket": "tf-state"},
	}
	in := `var.db_password is "short1"; region us-east-1; blob QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY=; ` +
		`key AKIAABCDEFGHIJKLMNOP; token=abc123 bucket tf-state; other ASIAZZZZZZZZZZZZZZZZ`
	got := newRedactor(ws).clean(in)
	for _, secret := range []string{"short1", "QUJDREVG", "AKIAABCD", "abc123", "ASIAZZZZ"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q survived: %s", secret, got)
		}
	}
	for _, keep := range []string{"us-east-1", "tf-state", "var.db_password"} {
		if !strings.Contains(got, keep) {
			t.Errorf("%q was removed needlessly: %s", keep, got)
		}
	}
}
