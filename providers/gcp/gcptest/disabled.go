package gcptest

import (
	"fmt"
	"net/http"
)

// DisableOSConfig makes every OS Config call on project answer as Google
// does when the API is not enabled there: 403 PERMISSION_DENIED with an
// ErrorInfo of reason SERVICE_DISABLED.
func (s *Server) DisableOSConfig(project string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.disabled == nil {
		s.disabled = map[string]bool{}
	}
	s.disabled[project] = true
}

// osconfigDisabled accepts the project by ID or number; s.mu is held.
func (s *Server) osconfigDisabled(path string) bool {
	for p := range s.disabled {
		if sameProject(path, p) {
			return true
		}
	}
	return false
}

func serviceDisabled(w http.ResponseWriter, project string) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusForbidden)
	msg := fmt.Sprintf("OS Config API has not been used in project %s before or it is disabled. Enable it by visiting "+
		"https://console.developers.google.com/apis/api/osconfig.googleapis.com/overview?project=%s then retry.", project, project)
	writeJSON(w, map[string]any{"error": map[string]any{
		"code": 403, "message": msg, "status": "PERMISSION_DENIED",
		"errors": []map[string]string{{"domain": "usageLimits", "reason": "accessNotConfigured", "message": msg}},
		"details": []map[string]any{{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "SERVICE_DISABLED",
			"domain": "googleapis.com", "metadata": map[string]string{"service": "osconfig.googleapis.com", "consumer": "projects/" + project}}},
	}})
}
