package azuretest

import (
	"net/http"
	"strings"
	"time"
)

const computeAPI = "2026-04-01"

func (s *Server) vmRoute(w http.ResponseWriter, r *http.Request, sub, rg string, seg []string) {
	if len(seg) == 0 && r.Method == http.MethodGet {
		s.listVMs(w, r, sub, rg)
		return
	}
	if len(seg) == 0 {
		armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method)
		return
	}
	id := "/subscriptions/" + sub + "/resourcegroups/" + rg + "/providers/microsoft.compute/virtualmachines/" + seg[0]
	v, ok := s.vms[id]
	if !ok {
		armError(w, http.StatusNotFound, "ResourceNotFound", "The Resource 'Microsoft.Compute/virtualMachines/"+seg[0]+"' under resource group '"+rg+"' was not found.")
		return
	}
	action := ""
	if len(seg) > 1 {
		action = seg[1]
	}
	if s.vmRestoreAction(w, r, sub, v, action) {
		return
	}
	switch {
	case action == "runcommands":
		s.runCommandRoute(w, r, v, seg[2:])
	case action == "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, vmJSON(v))
	case action == "instanceview" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, instanceViewJSON(v))
	case action == "installpatches" && r.Method == http.MethodPost:
		s.installVM(w, r, v)
	case action == "assesspatches" && r.Method == http.MethodPost:
		s.assessVM(w, v)
	default:
		armError(w, http.StatusNotFound, "InvalidResourceType", "unknown path "+r.URL.Path)
	}
}

func (s *Server) listVMs(w http.ResponseWriter, r *http.Request, sub, rg string) {
	var items []any
	for _, k := range sortedKeys(s.vms) {
		if inScope(k, sub, rg) {
			items = append(items, vmJSON(s.vms[k]))
		}
	}
	s.page(w, r, items)
}

func vmJSON(v *VM) map[string]any {
	return map[string]any{
		"id": v.ID(), "name": v.Name, "type": "Microsoft.Compute/virtualMachines", "location": v.Location,
		"tags": tagsJSON(v.Tags),
		"properties": map[string]any{
			"vmId":              "vm-" + strings.ToLower(v.Name),
			"provisioningState": "Succeeded",
			"osProfile":         map[string]any{"computerName": v.Name},
			"storageProfile": map[string]any{"osDisk": map[string]any{
				"osType": v.OSType, "name": v.Name + "_OsDisk_1", "createOption": "FromImage",
				"managedDisk": map[string]any{"id": v.OSDiskID(), "storageAccountType": "Premium_LRS"},
			}},
		},
	}
}

func instanceViewJSON(v *VM) map[string]any {
	iv := map[string]any{
		"computerName": v.Name,
		"statuses": []any{
			map[string]any{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"},
			map[string]any{"code": "PowerState/" + v.PowerState, "level": "Info", "displayStatus": "VM " + v.PowerState},
		},
	}
	if v.Agent != "" {
		msg := "Guest Agent is running"
		if v.Agent != "Ready" {
			msg = "VM status blob is found but not yet populated."
		}
		iv["vmAgent"] = map[string]any{"vmAgentVersion": v.AgentVersion, "statuses": []any{
			map[string]any{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": v.Agent, "message": msg},
		}}
		// Only a reporting agent tells the OS and the patch state.
		iv["osName"], iv["osVersion"] = v.OSName, v.OSVersion
		ps := map[string]any{"availablePatchSummary": map[string]any{
			"status": "Succeeded", "criticalAndSecurityPatchCount": v.CriticalAndSecurity, "otherPatchCount": v.Other,
			"lastModifiedTime": time.Now().UTC().Format(time.RFC3339),
		}}
		if !v.LastPatched.IsZero() {
			ps["lastPatchInstallationSummary"] = map[string]any{"status": "Succeeded", "lastModifiedTime": v.LastPatched.UTC().Format(time.RFC3339)}
		}
		iv["patchStatus"] = ps
	}
	return iv
}

func (s *Server) installVM(w http.ResponseWriter, r *http.Request, v *VM) {
	var body map[string]any
	if err := decodeBody(r, &body); err != nil {
		armError(w, http.StatusBadRequest, "InvalidRequestContent", err.Error())
		return
	}
	if _, ok := body["rebootSetting"]; !ok {
		armError(w, http.StatusBadRequest, "InvalidParameter", "rebootSetting is required")
		return
	}
	s.installs[strings.ToLower(v.ID())] = append(s.installs[strings.ToLower(v.ID())], body)
	o, started := v.Install, time.Now().UTC()
	s.startOp(w, &op{
		style: "async", needed: o.Polls, errMsg: o.OpError, kind: "installPatches", target: v.ID(),
		finish: func() {
			v.CriticalAndSecurity, v.Other = o.Remaining, 0
			if o.Failed == 0 && o.Status != "Failed" {
				v.LastPatched = time.Now()
			}
		},
		result: func() any { return installResult(o, started) },
	}, v.Subscription, "Microsoft.Compute", v.Location, computeAPI)
}

func installResult(o Outcome, started time.Time) map[string]any {
	status := o.Status
	if status == "" {
		status = "Succeeded"
	}
	res := map[string]any{
		"status": status, "installationActivityId": "act-" + started.Format("150405.000"),
		"installedPatchCount": o.Installed, "failedPatchCount": o.Failed, "pendingPatchCount": 0,
		"maintenanceWindowExceeded": false, "rebootStatus": "Completed", "startDateTime": started.Format(time.RFC3339),
	}
	if status == "Failed" {
		res["error"] = map[string]any{"code": "PackageManagerFailure", "message": "one or more packages failed to install"}
	}
	return res
}

func (s *Server) assessVM(w http.ResponseWriter, v *VM) {
	started := time.Now().UTC()
	s.startOp(w, &op{
		style: "async", kind: "assessPatches", target: v.ID(),
		result: func() any {
			return map[string]any{
				"status": "Succeeded", "assessmentActivityId": "assess-" + started.Format("150405.000"),
				"criticalAndSecurityPatchCount": v.CriticalAndSecurity, "otherPatchCount": v.Other,
				"rebootPending": false, "startDateTime": started.Format(time.RFC3339), "availablePatches": availablePatches(v, started),
			}
		},
	}, v.Subscription, "Microsoft.Compute", v.Location, computeAPI)
}

// availablePatches renders v.Patches as assessPatches lists them.
func availablePatches(v *VM, at time.Time) []any {
	out := []any{}
	for _, p := range v.Patches {
		out = append(out, map[string]any{
			"patchId": p.PatchID, "name": p.Name, "version": p.Version, "kbId": p.KBID, "classifications": p.Classifications,
			"rebootBehavior": "CanRequestReboot", "activityId": "assess-" + at.Format("150405.000"),
			"publishedDate": p.Published.UTC().Format(time.RFC3339), "lastModifiedDateTime": at.Format(time.RFC3339),
			"assessmentState": "Available",
		})
	}
	return out
}
