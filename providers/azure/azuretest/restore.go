package azuretest

import (
	"fmt"
	"net/http"
	"strings"
)

// The calls a VM's restore from a snapshot makes, in the shapes of the
// Azure Compute REST reference: Disks_CreateOrUpdate (PUT, creationData
// Copy from a snapshot's sourceResourceId; a PUT of the same name updates
// the one disk), Disks_Get, VirtualMachines_Deallocate and _Start (POST,
// long-running), and VirtualMachines_Update (PATCH) swapping
// storageProfile.osDisk.managedDisk.id, accepted only while the VM is
// deallocated. Each finishes after its operation is polled; Sent counts
// each step per VM.

// Disk is a managed disk a restore made.
type Disk struct {
	ID, Name, Location, Source, State string
	Tags                              map[string]string
	gets                              int
}

func (s *Server) diskRoute(w http.ResponseWriter, r *http.Request, sub, rg string, seg []string) {
	if len(seg) != 1 {
		armError(w, http.StatusNotFound, "InvalidResourceType", "unknown path "+r.URL.Path)
		return
	}
	id := "/subscriptions/" + sub + "/resourceGroups/" + rg + "/providers/Microsoft.Compute/disks/" + seg[0]
	key := strings.ToLower(id)
	if s.disks == nil {
		s.disks = map[string]*Disk{}
	}
	switch r.Method {
	case http.MethodGet:
		d, ok := s.disks[key]
		if !ok {
			armError(w, http.StatusNotFound, "ResourceNotFound", "The Resource 'Microsoft.Compute/disks/"+seg[0]+"' under resource group '"+rg+"' was not found.")
			return
		}
		// A disk watched without its operation finishes after a few
		// reads, standing in for the copy (as snapshots do).
		if d.gets++; d.State != "Succeeded" && d.gets >= 2 {
			d.State = "Succeeded"
		}
		writeJSON(w, http.StatusOK, diskJSON(d))
	case http.MethodPut:
		var b snapshotBody // a disk's creationData has the same shape
		if err := decodeBody(r, &b); err != nil {
			armError(w, http.StatusBadRequest, "InvalidRequestContent", err.Error())
			return
		}
		src := strings.ToLower(b.Properties.CreationData.SourceResourceID)
		if _, ok := s.snapshots[src]; !ok || b.Properties.CreationData.CreateOption != "Copy" || b.Location == "" {
			armError(w, http.StatusBadRequest, "InvalidParameter", "creationData must Copy an existing snapshot, with a location (got "+b.Properties.CreationData.SourceResourceID+")")
			return
		}
		d, ok := s.disks[key]
		if !ok {
			d = &Disk{ID: id, Name: seg[0], State: "Updating"}
			s.disks[key] = d
			s.sentStep("", "create-disk")
		}
		d.Location, d.Source, d.Tags = b.Location, b.Properties.CreationData.SourceResourceID, b.Tags
		s.startOp(w, &op{style: "async", kind: "createDisk", target: id, finish: func() { d.State = "Succeeded" },
			result: func() any { return diskJSON(d) }}, sub, "Microsoft.Compute", b.Location, computeAPI)
	default:
		armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method)
	}
}

func diskJSON(d *Disk) map[string]any {
	return map[string]any{"id": d.ID, "name": d.Name, "type": "Microsoft.Compute/disks", "location": d.Location, "tags": tagsJSON(d.Tags),
		"properties": map[string]any{"creationData": map[string]any{"createOption": "Copy", "sourceResourceId": d.Source},
			"provisioningState": d.State}}
}

// vmRestoreAction answers deallocate, start and the OS-disk swap (PATCH);
// it reports whether it handled the request.
func (s *Server) vmRestoreAction(w http.ResponseWriter, r *http.Request, sub string, v *VM, action string) bool {
	switch {
	case action == "deallocate" && r.Method == http.MethodPost:
		s.sentStep(v.Name, "deallocate")
		v.PowerState = "deallocating"
		s.startOp(w, &op{style: "async", kind: "deallocate", target: v.ID(), finish: func() { v.PowerState = "deallocated" }}, sub, "Microsoft.Compute", v.Location, computeAPI)
	case action == "start" && r.Method == http.MethodPost:
		s.sentStep(v.Name, "start")
		v.PowerState = "starting"
		s.startOp(w, &op{style: "async", kind: "start", target: v.ID(), finish: func() { v.PowerState = "running" }}, sub, "Microsoft.Compute", v.Location, computeAPI)
	case action == "" && r.Method == http.MethodPatch:
		var b struct {
			Properties struct {
				StorageProfile struct {
					OSDisk struct {
						ManagedDisk struct {
							ID string `json:"id"`
						} `json:"managedDisk"`
					} `json:"osDisk"`
				} `json:"storageProfile"`
			} `json:"properties"`
		}
		if err := decodeBody(r, &b); err != nil {
			armError(w, http.StatusBadRequest, "InvalidRequestContent", err.Error())
			return true
		}
		disk := b.Properties.StorageProfile.OSDisk.ManagedDisk.ID
		if d, ok := s.disks[strings.ToLower(disk)]; !ok || d.State != "Succeeded" {
			armError(w, http.StatusBadRequest, "InvalidParameter", "managed disk "+disk+" does not exist or is not ready")
			return true
		}
		if v.PowerState != "deallocated" {
			armError(w, http.StatusConflict, "OperationNotAllowed", "Changing the OS disk of a VM requires it to be deallocated (it is "+v.PowerState+")")
			return true
		}
		s.sentStep(v.Name, "swap-os-disk")
		s.startUpdate(w, &op{style: "async", kind: "update", target: v.ID(), finish: func() { v.OSDisk = disk },
			result: func() any { return vmJSON(v) }}, sub, v)
	default:
		return false
	}
	return true
}

func (s *Server) sentStep(vm, kind string) {
	if s.sent == nil {
		s.sent = map[string]int{}
	}
	s.sent[vm+"/"+kind]++
	if s.OnStep != nil {
		s.OnStep(vm + "/" + kind)
	}
}

// Sent is how many times a restore step was sent: create-disk (vm ""),
// deallocate, swap-os-disk or start of a VM.
func (s *Server) Sent(vm, kind string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent[vm+"/"+kind]
}

// OSDiskOf is a VM's OS disk ID now.
func (s *Server) OSDiskOf(v VM) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if cur, ok := s.vms[strings.ToLower(v.ID())]; ok {
		return cur.OSDiskID()
	}
	return ""
}

// startUpdate answers VirtualMachines_Update as the reference documents it:
// 200 with the VM (provisioningState Updating) and an Azure-AsyncOperation
// header to poll, not a 202.
func (s *Server) startUpdate(w http.ResponseWriter, o *op, sub string, v *VM) {
	s.nextOp++
	o.id = fmt.Sprintf("op-%04d", s.nextOp)
	o.needed = 2
	s.ops[o.id] = o
	w.Header().Set("Azure-AsyncOperation", fmt.Sprintf("%s/subscriptions/%s/providers/Microsoft.Compute/locations/%s/operations/%s?api-version=%s",
		s.URL, sub, v.Location, o.id, computeAPI))
	body := vmJSON(v)
	body["properties"].(map[string]any)["provisioningState"] = "Updating"
	writeJSON(w, http.StatusOK, body)
}
