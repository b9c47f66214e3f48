package multi

import (
	"errors"
	"strings"
	"testing"

	"github.com/patchgate/patchgate/runbooks"
)

func TestEveryFailingCloudIsNamedInTheError(t *testing.T) {
	azureDown := errors.New("azure: ARM 503")
	gcpDown := errors.New("gcp: osconfig 500")
	err := each(map[runbooks.Cloud]int{runbooks.AWS: 0, runbooks.Azure: 1, runbooks.GCP: 2}, func(c runbooks.Cloud, _ int) error {
		switch c {
		case runbooks.Azure:
			return azureDown
		case runbooks.GCP:
			return gcpDown
		}
		return nil
	})
	if !errors.Is(err, azureDown) || !errors.Is(err, gcpDown) {
		t.Fatalf("error %v does not carry both clouds' errors", err)
	}
	if got := runbooks.ErrorCode(err); got != runbooks.CodeInternal {
		t.Errorf("code %q, want internal", got)
	}
	if !strings.Contains(err.Error(), "azure: ") || !strings.Contains(err.Error(), "gcp: ") {
		t.Errorf("error %q does not name each cloud", err)
	}
}

func TestCloudsFailingDifferentlyTakeTheCodeThatAsksMost(t *testing.T) {
	for _, tc := range []struct {
		name string
		errs map[runbooks.Cloud]error
		code string
		msg  []string
	}{
		{"blocked beats internal", map[runbooks.Cloud]error{
			runbooks.AWS:   errors.New("throttled"),
			runbooks.Azure: runbooks.Errorf(runbooks.CodeBlocked, "baseline differs"),
		}, runbooks.CodeBlocked, []string{"aws: Internal error", "azure: baseline differs"}},
		{"internal beats pending", map[runbooks.Cloud]error{
			runbooks.AWS: runbooks.Errorf(runbooks.CodePending, "assessment running"),
			runbooks.GCP: errors.New("osconfig 500"),
		}, runbooks.CodeInternal, nil},
		{"pending only when every cloud is", map[runbooks.Cloud]error{
			runbooks.AWS:   runbooks.Errorf(runbooks.CodePending, "scan running"),
			runbooks.Azure: runbooks.Errorf(runbooks.CodePending, "assessment running"),
		}, runbooks.CodePending, []string{"aws: scan running", "azure: assessment running"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := combine(tc.errs)
			if got := runbooks.ErrorCode(err); got != tc.code {
				t.Fatalf("code %q, want %q (%v)", got, tc.code, err)
			}
			for _, m := range tc.msg {
				if !strings.Contains(runbooks.ErrorMessage(err), m) {
					t.Errorf("message %q lacks %q", runbooks.ErrorMessage(err), m)
				}
			}
			for c := range tc.errs {
				if !strings.Contains(err.Error(), string(c)+": ") {
					t.Errorf("error %q does not name %s", err, c)
				}
			}
		})
	}
}
