package gcptest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
)

// operation is a zone operation; snapshot is a global snapshot.
type operation struct {
	project, zone, name, target string
	polls                       int
	err                         string
	snapshot                    *snapshot
	// kind, id, created and effect describe an operation other than
	// createSnapshot (disk and instance changes, restore.go): effect runs
	// when it finishes.
	kind, created string
	id            uint64
	effect        func()
}

type snapshot struct {
	project, name, disk string
	id                  uint64
	labels              map[string]string
	description         string
	status              string
	created             string
	op                  *operation
}

func (s *Server) createSnapshot(w http.ResponseWriter, r *http.Request) {
	p, z, d := r.PathValue("project"), r.PathValue("zone"), r.PathValue("disk")
	var body struct {
		Name        string            `json:"name"`
		Description string            `json:"description"`
		Labels      map[string]string `json:"labels"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Name == "" {
		apiError(w, 400, "Invalid value for field 'resource.name'")
		return
	}
	var owner *Instance
	for _, in := range s.instances {
		if in.Project == p && in.Zone == z && in.BootDisk == d && !in.RegionalBootDisk {
			owner = in
		}
	}
	if owner == nil {
		apiError(w, 404, fmt.Sprintf("The resource 'projects/%s/zones/%s/disks/%s' was not found", p, z, d))
		return
	}
	if _, dup := s.snapshots[p+"/"+body.Name]; dup {
		apiError(w, 409, fmt.Sprintf("The resource 'projects/%s/global/snapshots/%s' already exists", p, body.Name))
		return
	}
	snap := &snapshot{project: p, name: body.Name, disk: selfLink("projects/%s/zones/%s/disks/%s", p, z, d), id: s.id(),
		labels: body.Labels, description: body.Description, status: "CREATING", created: stamp(s.now())}
	s.snapshots[p+"/"+body.Name] = snap
	op := &operation{project: p, zone: z, name: fmt.Sprintf("operation-%d-createSnapshot", s.id()), target: snap.disk,
		err: owner.SnapshotError, snapshot: snap}
	s.ops[p+"/"+z+"/"+op.name] = op
	snap.op = op
	writeJSON(w, s.operationJSON(op))
}

func (s *Server) operationJSON(op *operation) map[string]any {
	status, progress := "PENDING", 0
	switch {
	case op.polls >= s.OpPolls:
		status, progress = "DONE", 100
	case op.polls > 0:
		status, progress = "RUNNING", 50
	}
	id, kind, created := op.id, op.kind, op.created
	if op.snapshot != nil {
		id, kind, created = op.snapshot.id+1, "createSnapshot", op.snapshot.created
	}
	m := map[string]any{"kind": "compute#operation", "id": strconv.FormatUint(id, 10), "name": op.name,
		"zone": selfLink("projects/%s/zones/%s", op.project, op.zone), "operationType": kind,
		"targetLink": op.target, "status": status, "progress": progress, "insertTime": created,
		"selfLink": selfLink("projects/%s/zones/%s/operations/%s", op.project, op.zone, op.name)}
	if status == "DONE" && op.err != "" {
		m["error"] = map[string]any{"errors": []map[string]string{{"code": "RESOURCE_OPERATION_FAILED", "message": op.err}}}
		m["httpErrorStatusCode"], m["httpErrorMessage"] = 400, "BAD REQUEST"
	}
	return m
}

// getOperation reads an operation, moving it on by one poll.
func (s *Server) getOperation(w http.ResponseWriter, r *http.Request) {
	op := s.ops[r.PathValue("project")+"/"+r.PathValue("zone")+"/"+r.PathValue("op")]
	if op == nil {
		apiError(w, 404, "The resource 'operations/"+r.PathValue("op")+"' was not found")
		return
	}
	s.tick(op)
	writeJSON(w, s.operationJSON(op))
}

// runOps moves every unfinished disk and instance operation on (see
// OpsRunAlone).
func (s *Server) runOps() {
	for _, op := range s.ops {
		if op.snapshot == nil && op.polls < s.OpPolls {
			s.tick(op)
		}
	}
}

// tick moves an operation on by one poll; when it finishes, its snapshot
// becomes READY (or FAILED).
func (s *Server) tick(op *operation) {
	op.polls++
	if op.snapshot == nil {
		if op.polls == s.OpPolls && op.effect != nil && op.err == "" {
			op.effect()
		}
		return
	}
	if op.polls >= s.OpPolls {
		if op.err != "" {
			op.snapshot.status = "FAILED"
		} else {
			op.snapshot.status = "READY"
		}
	}
}

func snapshotJSON(sn *snapshot) map[string]any {
	return map[string]any{"kind": "compute#snapshot", "id": strconv.FormatUint(sn.id, 10), "name": sn.name,
		"status": sn.status, "sourceDisk": sn.disk, "labels": sn.labels, "description": sn.description,
		"creationTimestamp": sn.created, "diskSizeGb": "10", "storageBytes": "1073741824",
		"selfLink": selfLink("projects/%s/global/snapshots/%s", sn.project, sn.name)}
}

func (s *Server) listSnapshots(w http.ResponseWriter, r *http.Request) {
	var all []*snapshot
	for _, sn := range s.sortedSnapshots(r.PathValue("project")) {
		ok, err := matchLabels(r.URL.Query().Get("filter"), sn.labels)
		if err != nil {
			apiError(w, 400, err.Error())
			return
		}
		if ok {
			all = append(all, sn)
		}
	}
	items, next := page(s, r, all)
	out := []any{}
	for _, sn := range items {
		out = append(out, snapshotJSON(sn))
	}
	writeJSON(w, map[string]any{"kind": "compute#snapshotList", "items": out, "nextPageToken": next})
}

func (s *Server) getSnapshot(w http.ResponseWriter, r *http.Request) {
	sn := s.snapshots[r.PathValue("project")+"/"+r.PathValue("name")]
	if sn == nil {
		apiError(w, 404, "The resource 'projects/"+r.PathValue("project")+"/global/snapshots/"+r.PathValue("name")+"' was not found")
		return
	}
	if sn.status == "CREATING" {
		s.tick(sn.op) // time passes for a snapshot watched without its operation
	}
	writeJSON(w, snapshotJSON(sn))
}

// Snapshots are the project's snapshots' names and labels.
func (s *Server) Snapshots(project string) map[string]map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]map[string]string{}
	for _, sn := range s.sortedSnapshots(project) {
		out[sn.name] = sn.labels
	}
	return out
}

func (s *Server) sortedSnapshots(project string) []*snapshot {
	var out []*snapshot
	for _, sn := range s.snapshots {
		if sn.project == project {
			out = append(out, sn)
		}
	}
	// Stable pages: by creation order.
	slices.SortFunc(out, func(a, b *snapshot) int { return cmp.Compare(a.id, b.id) })
	return out
}
