package gcptest

import (
	"fmt"
	"net/http"
	"strconv"
)

// retentionRoutes serve snapshots.delete and globalOperations.get as the
// Compute API reference documents them: the delete answers a global
// operation (operationType "delete", targetLink the snapshot), the
// snapshot reads DELETING until the operation is done and is gone (404)
// after; deleting a snapshot already gone is a 404.
func (s *Server) retentionRoutes(mux *http.ServeMux, base string) {
	s.handle(mux, "compute.snapshots.delete", "DELETE "+base+"/global/snapshots/{name}", s.deleteSnapshot)
	s.handle(mux, "compute.globalOperations.get", "GET "+base+"/global/operations/{op}", s.getGlobalOperation)
}

func (s *Server) deleteSnapshot(w http.ResponseWriter, r *http.Request) {
	p, name := r.PathValue("project"), r.PathValue("name")
	sn := s.snapshots[p+"/"+name]
	res := fmt.Sprintf("projects/%s/global/snapshots/%s", p, name)
	link := selfLink("%s", res)
	if sn == nil {
		apiError(w, 404, "The resource '"+res+"' was not found")
		return
	}
	if sn.status == "DELETING" {
		apiError(w, 400, "The resource '"+res+"' is not ready")
		return
	}
	sn.status = "DELETING"
	op := &operation{project: p, name: fmt.Sprintf("operation-%d-delete", s.id()), target: link, kind: "delete",
		created: stamp(s.now()), id: s.id()}
	op.effect = func() { delete(s.snapshots, p+"/"+name) }
	s.ops[p+"/global/"+op.name] = op
	writeJSON(w, globalOperationJSON(s, op))
}

// getGlobalOperation reads a global operation, moving it on by one poll.
func (s *Server) getGlobalOperation(w http.ResponseWriter, r *http.Request) {
	op := s.ops[r.PathValue("project")+"/global/"+r.PathValue("op")]
	if op == nil {
		apiError(w, 404, "The resource 'operations/"+r.PathValue("op")+"' was not found")
		return
	}
	s.tick(op)
	writeJSON(w, globalOperationJSON(s, op))
}

func globalOperationJSON(s *Server, op *operation) map[string]any {
	status, progress := "PENDING", 0
	switch {
	case op.polls >= s.OpPolls:
		status, progress = "DONE", 100
	case op.polls > 0:
		status, progress = "RUNNING", 50
	}
	return map[string]any{"kind": "compute#operation", "id": strconv.FormatUint(op.id, 10), "name": op.name,
		"operationType": op.kind, "targetLink": op.target, "status": status, "progress": progress, "insertTime": op.created,
		"selfLink": selfLink("projects/%s/global/operations/%s", op.project, op.name)}
}

// Deleting reports whether a snapshot is being deleted (its operation not
// yet done).
func (s *Server) Deleting(project, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	sn := s.snapshots[project+"/"+name]
	return sn != nil && sn.status == "DELETING"
}
