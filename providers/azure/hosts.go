package azure

import (
	"fmt"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/hybridcompute/armhybridcompute/v2"

	"github.com/patchgate/patchgate/runbooks"
)

// vmHost turns a VM and its instance view into a Host. Update Manager needs
// a running VM with a Ready guest agent; anything else is unmanaged, with
// the reason in AgentStatus.
func vmHost(vm *armcompute.VirtualMachine, iv *armcompute.VirtualMachineInstanceView, sub, env string) runbooks.Host {
	h := runbooks.Host{ID: str(vm.ID), Name: str(vm.Name), Cloud: runbooks.Azure, Account: sub, Region: str(vm.Location), Env: env,
		Source: runbooks.SourceAzureVM}
	if p := vm.Properties; p != nil && p.StorageProfile != nil && p.StorageProfile.OSDisk != nil && p.StorageProfile.OSDisk.OSType != nil {
		h.OS = string(*p.StorageProfile.OSDisk.OSType) // Linux or Windows, until the agent says more
	}
	if iv.OSName != nil && *iv.OSName != "" {
		h.OS, h.OSVersion = *iv.OSName, str(iv.OSVersion)
	}
	power := "unknown"
	for _, s := range iv.Statuses {
		if c := str(s.Code); strings.HasPrefix(c, "PowerState/") {
			power = strings.TrimPrefix(c, "PowerState/")
		}
	}
	agent := agentState(iv.VMAgent)
	switch {
	case power != "running":
		h.AgentStatus = "VM is " + power + "; Update Manager needs it running"
	case agent != "Ready":
		h.AgentStatus = "guest agent " + agent
	default:
		h.Managed = true
		h.AgentStatus = "guest agent Ready"
		if v := str(iv.VMAgent.VMAgentVersion); v != "" {
			h.AgentStatus += " (" + v + ")"
		}
	}
	if ps := iv.PatchStatus; ps != nil {
		if a := ps.AvailablePatchSummary; a != nil && a.Status != nil && *a.Status != armcompute.PatchOperationStatusFailed {
			h.PendingPatches = i32(a.CriticalAndSecurityPatchCount) + i32(a.OtherPatchCount)
		}
		if l := ps.LastPatchInstallationSummary; l != nil && l.LastModifiedTime != nil && l.Status != nil &&
			(*l.Status == armcompute.PatchOperationStatusSucceeded || *l.Status == armcompute.PatchOperationStatusCompletedWithWarnings) {
			h.LastPatched = *l.LastModifiedTime
		}
	}
	return h
}

// agentState is the guest agent's display status, or why there is none.
func agentState(a *armcompute.VirtualMachineAgentInstanceView) string {
	if a == nil || len(a.Statuses) == 0 {
		return "not reporting (no VM agent status in the instance view)"
	}
	s := a.Statuses[0]
	state := str(s.DisplayStatus)
	if state != "Ready" && str(s.Message) != "" {
		state += ": " + str(s.Message)
	}
	return state
}

// arcHost turns an Arc machine into a Host: managed while its Connected
// Machine agent is Connected. The machine resource carries no patch
// assessment, so PendingPatches stays 0 for Arc (VerifyPatch assesses).
func arcHost(m *armhybridcompute.Machine, sub, env string) runbooks.Host {
	h := runbooks.Host{ID: str(m.ID), Name: str(m.Name), Cloud: runbooks.Azure, Account: sub, Region: str(m.Location), Env: env,
		Source: runbooks.SourceAzureArc}
	p := m.Properties
	if p == nil {
		h.AgentStatus = "Arc machine has no properties"
		return h
	}
	h.OS = str(p.OSSKU)
	if h.OS == "" {
		h.OS = str(p.OSName)
	}
	// On Linux the Arc agent reports the kernel as osVersion.
	if strings.EqualFold(str(p.OSType), "linux") {
		h.Kernel = str(p.OSVersion)
	} else {
		h.OSVersion = str(p.OSVersion)
	}
	status := "unknown"
	if p.Status != nil {
		status = string(*p.Status)
	}
	h.Managed = status == string(armhybridcompute.StatusTypesConnected)
	h.AgentStatus = "Arc agent " + status
	if v := str(p.AgentVersion); v != "" {
		h.AgentStatus += " (" + v + ")"
	}
	if !h.Managed && p.LastStatusChange != nil {
		h.AgentStatus += fmt.Sprintf(" since %s", p.LastStatusChange.UTC().Format("2006-01-02 15:04 UTC"))
	}
	for _, e := range p.ErrorDetails {
		if e != nil && str(e.Message) != "" {
			h.AgentStatus += ": " + str(e.Message)
			break
		}
	}
	return h
}
