package azure

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/hybridcompute/armhybridcompute/v2"
)

// poller is what VM and Arc installPatches pollers share.
type poller interface {
	Done() bool
	Poll(ctx context.Context) (*http.Response, error)
	ResumeToken() (string, error)
}

type (
	vmInstall  = runtime.Poller[armcompute.VirtualMachinesClientInstallPatchesResponse]
	arcInstall = runtime.Poller[armhybridcompute.MachinesClientInstallPatchesResponse]
)

// outcome reads a finished install: "" when it succeeded, else why not. An
// error is a failure to read the result that another try may get past.
func outcome(ctx context.Context, lro poller) (string, error) {
	switch l := lro.(type) {
	case *vmInstall:
		res, err := l.Result(ctx)
		if err != nil {
			return opFailed(err)
		}
		r := res.VirtualMachineInstallPatchesResult
		msg := ""
		if r.Error != nil {
			msg = str(r.Error.Message)
		}
		return judge(statusOf(r.Status), i32(r.FailedPatchCount), i32(r.PendingPatchCount), r.MaintenanceWindowExceeded, msg), nil
	case *arcInstall:
		res, err := l.Result(ctx)
		if err != nil {
			return opFailed(err)
		}
		r := res.MachineInstallPatchesResult
		msg := ""
		if r.ErrorDetails != nil {
			msg = str(r.ErrorDetails.Message)
		}
		var status string
		if r.Status != nil {
			status = string(*r.Status)
		}
		return judge(status, i32(r.FailedPatchCount), i32(r.PendingPatchCount), r.MaintenanceWindowExceeded, msg), nil
	}
	return fmt.Sprintf("unexpected poller %T", lro), nil
}

// opFailed sorts a Result error: the operation's own failure (its status
// document said Failed, or ARM answered a definite 4xx) fails the machine;
// a network error or an outage is returned to be tried again.
func opFailed(err error) (string, error) {
	var re *azcore.ResponseError
	if errors.As(err, &re) && (re.StatusCode < 400 || permanent(err)) {
		return "installPatches operation failed: " + reason(err), nil
	}
	return "", fmt.Errorf("read installPatches result: %w", err)
}

func statusOf(s *armcompute.PatchOperationStatus) string {
	if s == nil {
		return ""
	}
	return string(*s)
}

// judge decides an install result: a Failed or Unknown status, a failed
// patch, or patches left pending because the maximum duration ran out all
// fail the machine.
func judge(status string, failed, pending int, windowExceeded *bool, msg string) string {
	why := ""
	switch {
	case status == "Failed":
		why = "installPatches status Failed"
	case failed > 0:
		why = fmt.Sprintf("installPatches status %s", status)
	case windowExceeded != nil && *windowExceeded && pending > 0:
		return fmt.Sprintf("maximum duration exceeded with %d patch(es) still pending", pending)
	case status == "Succeeded" || status == "CompletedWithWarnings":
		return ""
	default:
		why = fmt.Sprintf("installPatches ended with status %q", status)
	}
	if failed > 0 {
		why += fmt.Sprintf(", %d patch(es) failed", failed)
	}
	if msg != "" {
		why += ": " + msg
	}
	return why
}
