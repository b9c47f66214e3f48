package azure

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// reason turns an ARM error into one line for a finding: the error code and
// ARM's message, without the request dump azcore's Error() carries.
func reason(err error) string {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return err.Error()
	}
	msg := ""
	if re.RawResponse != nil {
		if body, perr := runtime.Payload(re.RawResponse); perr == nil {
			var env struct {
				Error struct {
					Message string `json:"message"`
				} `json:"error"`
			}
			if json.Unmarshal(body, &env) == nil {
				msg = env.Error.Message
			}
		}
	}
	out := fmt.Sprintf("HTTP %d %s", re.StatusCode, re.ErrorCode)
	if msg != "" {
		out += ": " + msg
	}
	return out
}

// permanent reports whether err is an ARM answer that retrying will not
// change (a 4xx other than throttling or timeout), as opposed to a network
// failure or an outage worth another poll.
func permanent(err error) bool {
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		return false
	}
	s := re.StatusCode
	return s >= 400 && s < 500 && s != http.StatusTooManyRequests && s != http.StatusRequestTimeout
}

// conflict reports ARM's 409: the resource is busy with another operation.
func conflict(err error) bool {
	var re *azcore.ResponseError
	return errors.As(err, &re) && re.StatusCode == http.StatusConflict
}
