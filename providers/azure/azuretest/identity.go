package azuretest

import (
	"net/http"
	"strconv"
	"time"
)

// identityPath is where the server answers as an App Service managed
// identity endpoint; IdentityEnv points azidentity's
// DefaultAzureCredential at it.
const identityPath = "/msi/token"

// IdentityHeader is the secret an App Service identity endpoint expects in
// X-IDENTITY-HEADER.
const IdentityHeader = "azuretest-identity-header"

// IdentityEnv are the environment variables under which
// DefaultAzureCredential (managed identity, App Service source) fetches
// Token from this server: the production credential path, talking to a
// fake identity endpoint.
func (s *Server) IdentityEnv() map[string]string {
	return map[string]string{"IDENTITY_ENDPOINT": s.URL + identityPath, "IDENTITY_HEADER": IdentityHeader}
}

// identityToken answers the App Service managed identity protocol
// (api-version 2019-08-01): GET with resource and X-IDENTITY-HEADER.
func (s *Server) identityToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Header.Get("X-IDENTITY-HEADER") != IdentityHeader || q.Get("resource") == "" || q.Get("api-version") == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"statusCode": 400, "message": "missing X-IDENTITY-HEADER, resource or api-version"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"access_token": Token, "token_type": "Bearer", "resource": q.Get("resource"),
		"expires_on": strconv.FormatInt(time.Now().Add(time.Hour).Unix(), 10), "client_id": "00000000-0000-0000-0000-000000000001"})
}
