package gcptest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/http"
	"sort"
	"strconv"
)

func (s *Server) computeRoutes(mux *http.ServeMux) {
	const base = "/compute/v1/projects/{project}"
	s.handle(mux, "compute.instances.aggregatedList", "GET "+base+"/aggregated/instances", s.aggregatedList)
	s.handle(mux, "compute.instances.list", "GET "+base+"/zones/{zone}/instances", s.listInstances)
	s.handle(mux, "compute.instances.get", "GET "+base+"/zones/{zone}/instances/{name}", s.getInstance)
	s.handle(mux, "compute.instances.setLabels", "POST "+base+"/zones/{zone}/instances/{name}/setLabels", s.setLabels)
	s.handle(mux, "compute.disks.createSnapshot", "POST "+base+"/zones/{zone}/disks/{disk}/createSnapshot", s.createSnapshot)
	s.handle(mux, "compute.zoneOperations.get", "GET "+base+"/zones/{zone}/operations/{op}", s.getOperation)
	s.handle(mux, "compute.snapshots.list", "GET "+base+"/global/snapshots", s.listSnapshots)
	s.handle(mux, "compute.snapshots.get", "GET "+base+"/global/snapshots/{name}", s.getSnapshot)
	s.restoreRoutes(mux, base)
	s.retentionRoutes(mux, base)
}

func (s *Server) instanceJSON(in *Instance) map[string]any {
	disk := selfLink("projects/%s/zones/%s/disks/%s", in.Project, in.Zone, in.BootDisk)
	if in.RegionalBootDisk {
		disk = selfLink("projects/%s/regions/%s/disks/%s", in.Project, in.Zone[:len(in.Zone)-2], in.BootDisk)
	}
	disks := []map[string]any{{"kind": "compute#attachedDisk", "type": "PERSISTENT", "mode": "READ_WRITE",
		"boot": true, "deviceName": in.device(), "source": disk, "index": 0}}
	if in.BootDisk == "" { // detached by a restore, not yet replaced
		disks = []map[string]any{}
	}
	return map[string]any{
		"kind": "compute#instance", "id": strconv.FormatUint(in.ID, 10), "name": in.Name,
		"zone":   selfLink("projects/%s/zones/%s", in.Project, in.Zone),
		"status": in.Status, "labels": in.Labels, "labelFingerprint": labelFingerprint(in.Labels), "disks": disks,
		"selfLink": selfLink("projects/%s/zones/%s/instances/%s", in.Project, in.Zone, in.Name),
	}
}

// matching are the project's (and zone's, when given) instances passing
// the request's filter.
func (s *Server) matching(w http.ResponseWriter, r *http.Request, zone string) ([]*Instance, bool) {
	var out []*Instance
	for _, in := range s.instances {
		if in.Project != r.PathValue("project") || (zone != "" && in.Zone != zone) {
			continue
		}
		ok, err := matchLabels(r.URL.Query().Get("filter"), in.Labels)
		if err != nil {
			apiError(w, 400, err.Error())
			return nil, false
		}
		if ok {
			out = append(out, in)
		}
	}
	return out, true
}

func (s *Server) aggregatedList(w http.ResponseWriter, r *http.Request) {
	all, ok := s.matching(w, r, "")
	if !ok {
		return
	}
	items, next := page(s, r, all)
	scoped := map[string]any{}
	for _, in := range items {
		key := "zones/" + in.Zone
		sl, _ := scoped[key].(map[string]any)
		if sl == nil {
			sl = map[string]any{"instances": []any{}}
		}
		sl["instances"] = append(sl["instances"].([]any), s.instanceJSON(in))
		scoped[key] = sl
	}
	writeJSON(w, map[string]any{"kind": "compute#instanceAggregatedList", "id": "projects/" + r.PathValue("project") + "/aggregated/instances",
		"items": scoped, "nextPageToken": next, "selfLink": selfLink("projects/%s/aggregated/instances", r.PathValue("project"))})
}

func (s *Server) listInstances(w http.ResponseWriter, r *http.Request) {
	all, ok := s.matching(w, r, r.PathValue("zone"))
	if !ok {
		return
	}
	items, next := page(s, r, all)
	out := []any{}
	for _, in := range items {
		out = append(out, s.instanceJSON(in))
	}
	writeJSON(w, map[string]any{"kind": "compute#instanceList", "items": out, "nextPageToken": next})
}

func (s *Server) getInstance(w http.ResponseWriter, r *http.Request) {
	in := s.find(r.PathValue("project"), r.PathValue("zone"), r.PathValue("name"))
	if in == nil {
		apiError(w, 404, fmt.Sprintf("The resource 'projects/%s/zones/%s/instances/%s' was not found", r.PathValue("project"), r.PathValue("zone"), r.PathValue("name")))
		return
	}
	writeJSON(w, s.instanceJSON(in))
}

// labelFingerprint changes whenever the labels do, as Compute's does.
func labelFingerprint(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := fnv.New64a()
	for _, k := range keys {
		fmt.Fprintf(h, "%s=%s;", k, labels[k])
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// setLabels replaces the VM's labels when the request carries their
// current fingerprint (412 conditionNotMet otherwise) and answers with a
// finished zone operation.
func (s *Server) setLabels(w http.ResponseWriter, r *http.Request) {
	in := s.find(r.PathValue("project"), r.PathValue("zone"), r.PathValue("name"))
	if in == nil {
		apiError(w, 404, fmt.Sprintf("The resource 'projects/%s/zones/%s/instances/%s' was not found", r.PathValue("project"), r.PathValue("zone"), r.PathValue("name")))
		return
	}
	var body struct {
		Labels           map[string]string `json:"labels"`
		LabelFingerprint string            `json:"labelFingerprint"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		apiError(w, 400, "invalid InstancesSetLabelsRequest")
		return
	}
	if body.LabelFingerprint != labelFingerprint(in.Labels) {
		apiError(w, 412, "Labels fingerprint either invalid or resource labels have changed")
		return
	}
	in.Labels = body.Labels
	writeJSON(w, map[string]any{"kind": "compute#operation", "id": strconv.FormatUint(s.id(), 10),
		"name": fmt.Sprintf("operation-setlabels-%d", s.id()), "operationType": "setLabels", "status": "DONE", "progress": 100,
		"zone": selfLink("projects/%s/zones/%s", in.Project, in.Zone), "targetLink": selfLink("projects/%s/zones/%s/instances/%s", in.Project, in.Zone, in.Name),
		"selfLink": selfLink("projects/%s/zones/%s/operations/operation-setlabels", in.Project, in.Zone)})
}
