package azuretest

import (
	"net/http"
	"strings"
)

// deleteSnapshot is Snapshots_Delete as the Compute REST reference
// documents it: 202 Accepted with Azure-AsyncOperation and Location for a
// snapshot that exists (provisioningState Deleting until the operation
// ends, then gone), 204 No Content for one that does not.
func (s *Server) deleteSnapshot(w http.ResponseWriter, sub, rg, name string) {
	key := strings.ToLower("/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Compute/snapshots/" + name)
	sn, ok := s.snapshots[key]
	if !ok {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	sn.State = "Deleting"
	s.startOp(w, &op{style: "async", kind: "deleteSnapshot", target: sn.ID,
		finish: func() { delete(s.snapshots, key) }}, sub, "Microsoft.Compute", sn.Location, computeAPI)
}
