package gcptest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path"
)

// The calls a VM's restore from a snapshot makes, in the shapes of the
// Compute Engine v1 reference: disks.insert (sourceSnapshot; 409
// alreadyExists for a name taken), disks.get, instances.stop / start,
// instances.detachDisk (deviceName) and instances.attachDisk (an
// AttachedDisk with boot true), each answering a zone operation that
// finishes after OpPolls zoneOperations.get calls and only then changes the
// VM. Restore steps are counted per VM (Sent), and a VM with no boot disk
// is visible (BootDiskAttached) between a detach and an attach.

type disk struct {
	project, zone, name, snapshot, status string
	labels                                map[string]string
}

func (s *Server) restoreRoutes(mux *http.ServeMux, base string) {
	s.handle(mux, "compute.disks.insert", "POST "+base+"/zones/{zone}/disks", s.insertDisk)
	s.handle(mux, "compute.disks.get", "GET "+base+"/zones/{zone}/disks/{disk}", s.getDisk)
	s.handle(mux, "compute.instances.stop", "POST "+base+"/zones/{zone}/instances/{name}/stop", s.instanceOp("stop"))
	s.handle(mux, "compute.instances.start", "POST "+base+"/zones/{zone}/instances/{name}/start", s.instanceOp("start"))
	s.handle(mux, "compute.instances.detachDisk", "POST "+base+"/zones/{zone}/instances/{name}/detachDisk", s.instanceOp("detachDisk"))
	s.handle(mux, "compute.instances.attachDisk", "POST "+base+"/zones/{zone}/instances/{name}/attachDisk", s.instanceOp("attachDisk"))
}

func (s *Server) insertDisk(w http.ResponseWriter, r *http.Request) {
	p, z := r.PathValue("project"), r.PathValue("zone")
	var body struct {
		Name           string            `json:"name"`
		SourceSnapshot string            `json:"sourceSnapshot"`
		Labels         map[string]string `json:"labels"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Name == "" {
		apiError(w, 400, "Invalid value for field 'resource.name'")
		return
	}
	if s.disks == nil {
		s.disks = map[string]*disk{}
	}
	key := p + "/" + z + "/" + body.Name
	if _, dup := s.disks[key]; dup {
		apiError(w, 409, fmt.Sprintf("The resource 'projects/%s/zones/%s/disks/%s' already exists", p, z, body.Name))
		return
	}
	if sn := s.snapshots[p+"/"+path.Base(body.SourceSnapshot)]; sn == nil || sn.status != "READY" {
		apiError(w, 400, "The resource '"+body.SourceSnapshot+"' is not ready or was not found")
		return
	}
	d := &disk{project: p, zone: z, name: body.Name, snapshot: body.SourceSnapshot, status: "CREATING", labels: body.Labels}
	s.disks[key] = d
	s.count("create-disk", "")
	s.startOp(w, p, z, "insert", selfLink("projects/%s/zones/%s/disks/%s", p, z, d.name), func() { d.status = "READY" })
}

func (s *Server) getDisk(w http.ResponseWriter, r *http.Request) {
	d := s.disks[r.PathValue("project")+"/"+r.PathValue("zone")+"/"+r.PathValue("disk")]
	if d == nil {
		apiError(w, 404, "The resource 'projects/"+r.PathValue("project")+"/zones/"+r.PathValue("zone")+"/disks/"+r.PathValue("disk")+"' was not found")
		return
	}
	writeJSON(w, map[string]any{"kind": "compute#disk", "name": d.name, "status": d.status, "sourceSnapshot": d.snapshot,
		"labels": d.labels, "zone": selfLink("projects/%s/zones/%s", d.project, d.zone),
		"selfLink": selfLink("projects/%s/zones/%s/disks/%s", d.project, d.zone, d.name)})
}

// instanceOp answers stop, start, detachDisk and attachDisk.
func (s *Server) instanceOp(kind string) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, r *http.Request) {
		p, z, n := r.PathValue("project"), r.PathValue("zone"), r.PathValue("name")
		var in *Instance
		for _, i := range s.instances {
			if i.Project == p && i.Zone == z && i.Name == n {
				in = i
			}
		}
		if in == nil {
			apiError(w, 404, fmt.Sprintf("The resource 'projects/%s/zones/%s/instances/%s' was not found", p, z, n))
			return
		}
		var effect func()
		switch kind {
		case "stop":
			in.Status = "STOPPING"
			effect = func() { in.Status = "TERMINATED" }
		case "start":
			if in.BootDisk == "" {
				apiError(w, 400, "Instance "+n+" has no boot disk")
				return
			}
			in.Status = "STAGING"
			effect = func() { in.Status = "RUNNING" }
		case "detachDisk":
			dev := r.URL.Query().Get("deviceName")
			if in.Status != "TERMINATED" || dev == "" || dev != in.device() {
				apiError(w, 400, fmt.Sprintf("Invalid resource usage: cannot detach boot disk %q of %s (status %s)", dev, n, in.Status))
				return
			}
			effect = func() { in.BootDisk, in.Device = "", "" }
		case "attachDisk":
			var body struct {
				Source string `json:"source"`
				Boot   bool   `json:"boot"`
			}
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Source == "" || !body.Boot || in.BootDisk != "" || in.Status != "TERMINATED" {
				apiError(w, 400, "Invalid resource usage: attach a boot disk to a stopped instance without one")
				return
			}
			effect = func() { in.BootDisk, in.Device = path.Base(body.Source), path.Base(body.Source) }
		}
		s.count(kind, n)
		s.startOp(w, p, z, kind, selfLink("projects/%s/zones/%s/instances/%s", p, z, n), effect)
	}
}

func (s *Server) startOp(w http.ResponseWriter, p, z, kind, target string, effect func()) {
	op := &operation{project: p, zone: z, name: fmt.Sprintf("operation-%d-%s", s.id(), kind), target: target,
		kind: kind, id: s.id(), created: stamp(s.now()), effect: effect}
	s.ops[p+"/"+z+"/"+op.name] = op
	writeJSON(w, s.operationJSON(op))
}

// count records a restore step sent for a VM (or a disk made).
func (s *Server) count(kind, instance string) {
	if s.sent == nil {
		s.sent = map[string]int{}
	}
	s.sent[instance+"/"+kind]++
	if s.OnStep != nil {
		s.OnStep(instance + "/" + kind)
	}
}

// Sent is how many times a restore step was sent: kind create-disk (any
// VM, instance ""), stop, start, detachDisk or attachDisk of a VM.
func (s *Server) Sent(instance, kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[instance+"/"+kind]
}

// BootDisk is the name of a VM's boot disk, "" while it has none.
func (s *Server) BootDisk(project, zone, name string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range s.instances {
		if in.Project == project && in.Zone == zone && in.Name == name {
			return in.BootDisk
		}
	}
	return ""
}

// device is the boot disk's device name (its disk name unless attached
// under another).
func (in *Instance) device() string {
	if in.Device != "" {
		return in.Device
	}
	return in.BootDisk
}
