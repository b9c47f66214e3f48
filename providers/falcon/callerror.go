package falcon

import (
	"net/http"
	"strings"

	"github.com/patchgate/patchgate/runbooks"
)

// describeFalcon names a Falcon API request for a CallError: the API
// family (devices, policy) as the service, method and path as the
// operation, the API host as the scope.
func describeFalcon(req *http.Request) runbooks.CallError {
	path := strings.Trim(req.URL.Path, "/")
	svc, _, _ := strings.Cut(path, "/")
	return runbooks.CallError{System: "falcon", Service: svc, Operation: req.Method + " /" + path,
		Scope: "host " + req.URL.Host}
}
