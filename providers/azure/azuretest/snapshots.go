package azuretest

import (
	"net/http"
	"strings"
	"time"
)

// snapshotRoute serves Microsoft.Compute/snapshots: list by resource group,
// GET one, and PUT (create or update, a long-running operation).
func (s *Server) snapshotRoute(w http.ResponseWriter, r *http.Request, sub, rg string, seg []string) {
	switch {
	case len(seg) == 0 && r.Method == http.MethodGet:
		var items []any
		for _, k := range sortedKeys(s.snapshots) {
			if inScope(k, sub, rg) {
				items = append(items, snapshotJSON(s.snapshots[k]))
			}
		}
		s.page(w, r, items)
	case len(seg) == 1 && r.Method == http.MethodGet:
		sn, ok := s.snapshots["/subscriptions/"+sub+"/resourcegroups/"+rg+"/providers/microsoft.compute/snapshots/"+seg[0]]
		if !ok {
			armError(w, http.StatusNotFound, "ResourceNotFound", "snapshot "+seg[0]+" not found")
			return
		}
		// A snapshot finishes after a few reads, standing in for the copy.
		if sn.gets++; sn.State == "Creating" && sn.gets >= 2 {
			sn.State = "Succeeded"
		}
		writeJSON(w, http.StatusOK, snapshotJSON(sn))
	case len(seg) == 1 && r.Method == http.MethodPut:
		s.putSnapshot(w, r, sub, rg, seg[0])
	case len(seg) == 1 && r.Method == http.MethodDelete:
		s.deleteSnapshot(w, sub, rg, seg[0])
	default:
		armError(w, http.StatusNotFound, "InvalidResourceType", "unknown path "+r.URL.Path)
	}
}

type snapshotBody struct {
	Location   string            `json:"location"`
	Tags       map[string]string `json:"tags"`
	Properties struct {
		CreationData struct {
			CreateOption     string `json:"createOption"`
			SourceResourceID string `json:"sourceResourceId"`
		} `json:"creationData"`
		Incremental bool `json:"incremental"`
	} `json:"properties"`
}

func (s *Server) putSnapshot(w http.ResponseWriter, r *http.Request, sub, rg, name string) {
	var b snapshotBody
	if err := decodeBody(r, &b); err != nil {
		armError(w, http.StatusBadRequest, "InvalidRequestContent", err.Error())
		return
	}
	src := strings.ToLower(b.Properties.CreationData.SourceResourceID)
	var disk *VM
	for _, v := range s.vms {
		if strings.ToLower(v.OSDiskID()) == src {
			disk = v
		}
	}
	if disk == nil || b.Properties.CreationData.CreateOption != "Copy" {
		armError(w, http.StatusNotFound, "NotFound", "source disk "+b.Properties.CreationData.SourceResourceID+" not found (createOption "+b.Properties.CreationData.CreateOption+")")
		return
	}
	if b.Location == "" {
		armError(w, http.StatusBadRequest, "LocationRequired", "location is required")
		return
	}
	id := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Compute/snapshots/" + name
	key := strings.ToLower(id)
	sn, ok := s.snapshots[key]
	if !ok {
		sn = &Snapshot{ID: id, Name: name, State: "Creating", Created: time.Now().UTC()}
		s.snapshots[key] = sn
	}
	sn.Location, sn.Tags, sn.Source = b.Location, b.Tags, b.Properties.CreationData.SourceResourceID
	sn.CreateOption, sn.Incremental = b.Properties.CreationData.CreateOption, b.Properties.Incremental
	s.startOp(w, &op{style: "async", kind: "createSnapshot", target: id,
		result: func() any { return snapshotJSON(sn) }}, sub, "Microsoft.Compute", b.Location, computeAPI)
}

func snapshotJSON(sn *Snapshot) map[string]any {
	return map[string]any{
		"id": sn.ID, "name": sn.Name, "type": "Microsoft.Compute/snapshots", "location": sn.Location, "tags": tagsJSON(sn.Tags),
		"properties": map[string]any{
			"creationData":      map[string]any{"createOption": sn.CreateOption, "sourceResourceId": sn.Source},
			"incremental":       sn.Incremental,
			"provisioningState": sn.State,
			"timeCreated":       sn.Created.Format(time.RFC3339Nano),
		},
	}
}
