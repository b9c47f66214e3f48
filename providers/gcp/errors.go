package gcp

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/patchgate/patchgate/runbooks"
	"google.golang.org/api/googleapi"
)

func httpCode(err error) int {
	var ge *googleapi.Error
	if errors.As(err, &ge) {
		return ge.Code
	}
	if ce, ok := runbooks.AsCallError(err); ok {
		return ce.Status // a 5xx or a proxy's page, described by the transport
	}
	return 0
}

func isNotFound(err error) bool { return httpCode(err) == http.StatusNotFound }
func isConflict(err error) bool { return httpCode(err) == http.StatusConflict }

// coded gives a Google API error a runbooks code, so the chat shows
// "quota exhausted, retrying" rather than an internal error; the wrapped
// detail stays for the log.
func coded(what string, err error) error {
	if err == nil {
		return nil
	}
	switch c := httpCode(err); {
	case c == http.StatusTooManyRequests || c >= 500:
		return fmt.Errorf("%w: %w", runbooks.Errorf(runbooks.CodeUnavailable, "GCP is busy or over quota while trying to %s; retrying", what), err)
	case c == http.StatusForbidden || c == http.StatusUnauthorized:
		return fmt.Errorf("%w: %w", runbooks.Errorf(runbooks.CodeForbidden, "patchgate's GCP identity may not %s", what), err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
