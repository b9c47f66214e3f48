package azure

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v8"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.Restorer = (*Provider)(nil)

// sourceCompute names Azure Compute as the system that restored a VM.
const sourceCompute = "azure-compute"

// restoreSteps are a VM's restore: a managed disk from the pre-patch
// snapshot, deallocate, swap the OS disk for it, start. The VM keeps its
// resource ID, NICs and IPs; the patched disk is kept, detached.
var restoreSteps = []string{"create-disk", "deallocate", "swap-os-disk", "start"}

// restoreHandle is one VM's restore: the step running and its LRO's
// resume token.
type restoreHandle struct {
	VM    string          `json:"vm"`   // resource ID
	Disk  string          `json:"disk"` // the restored disk's name
	Step  int             `json:"step"`
	Token json.RawMessage `json:"token,omitempty"`
}

func (h restoreHandle) encode() string {
	b, _ := json.Marshal(h)
	return "azure-restore:" + string(b)
}

func decodeRestore(s string) (restoreHandle, error) {
	var h restoreHandle
	body, ok := strings.CutPrefix(s, "azure-restore:")
	if !ok || json.Unmarshal([]byte(body), &h) != nil || h.Step < 0 || h.Step >= len(restoreSteps) {
		return h, runbooks.Errorf(runbooks.CodeInvalid, "not an Azure restore handle: %.60q", s)
	}
	return h, nil
}

// PrePatchBackups lists the OS-disk snapshots of a backup handle, one per
// VM, with when Azure says each was created. Arc servers have none.
func (p *Provider) PrePatchBackups(ctx context.Context, hs string) ([]runbooks.HostBackup, error) {
	h, err := decodeHandle(hs, kindSnapshots)
	if err != nil {
		return nil, err
	}
	cycle, _, _ := strings.Cut(h.Tag, "/")
	var out []runbooks.HostBackup
	for _, e := range h.Entries {
		if e.Snapshot == "" || e.Fail != "" || e.Skip != "" {
			continue
		}
		r, err := parseMachine(e.Host)
		if err != nil {
			return nil, err
		}
		c, err := p.sub(r.sub)
		if err != nil {
			return nil, err
		}
		sn, err := c.snaps.Get(ctx, r.group, lastSegment(e.Snapshot), nil)
		if err != nil {
			return nil, fmt.Errorf("read snapshot %s: %w", e.Snapshot, err)
		}
		b := runbooks.HostBackup{HostID: e.Host, HostName: e.Name, Cloud: runbooks.Azure, Kind: runbooks.BackupDiskSnapshot,
			ID: e.Snapshot, Cycle: cycle, Tag: h.Tag, Source: sourceCompute}
		if sn.Properties != nil && sn.Properties.TimeCreated != nil {
			b.TakenAt = sn.Properties.TimeCreated.UTC()
		}
		out = append(out, b)
	}
	return out, nil
}

func lastSegment(id string) string { return id[strings.LastIndex(id, "/")+1:] }

// restoredDiskName is the one name the restored disk of a request can
// have: a PUT sent again (or after a crash) updates it, never makes two.
func restoredDiskName(vm, tag string) string { return snapshotName(vm+"-rb", tag) }

// arcMOP is the method of procedure for an Arc server: Azure holds no disk
// of it, so its own platform restores it, marked manual.
func arcMOP(req runbooks.RestoreRequest) []string {
	return []string{
		"Restore " + req.Host.Name + " from its own platform's pre-patch backup (VMware/Hyper-V snapshot, backup appliance); Azure holds no disk for an Arc server",
		"Check the Azure Connected Machine agent reconnects (azcmagent show: Connected)",
		"Confirm the application on " + req.Host.Name + " is healthy, then press Done",
	}
}

// FindRestore finds the disk an earlier step made for req's tag; the
// restore goes on from there (each later step looks at the VM first).
func (p *Provider) FindRestore(ctx context.Context, req runbooks.RestoreRequest) (runbooks.RestoreStatus, bool, error) {
	r, err := parseMachine(req.Host.ID)
	if err != nil || r.kind == kindArc {
		return runbooks.RestoreStatus{}, false, err
	}
	c, err := p.sub(r.sub)
	if err != nil {
		return runbooks.RestoreStatus{}, false, err
	}
	name := restoredDiskName(r.name, req.Tag)
	if _, err := c.disks.Get(ctx, r.group, name, nil); err != nil {
		if strings.Contains(err.Error(), "404") || strings.Contains(err.Error(), "NotFound") {
			return runbooks.RestoreStatus{}, false, nil
		}
		return runbooks.RestoreStatus{}, false, fmt.Errorf("read disk %s: %w", name, err)
	}
	return status(restoreHandle{VM: req.Host.ID, Disk: name}, "found the disk made earlier"), true, nil
}

// StartRestore makes the managed disk from the pre-patch snapshot (an Arc
// server gets its method of procedure instead).
func (p *Provider) StartRestore(ctx context.Context, req runbooks.RestoreRequest) (runbooks.RestoreStatus, error) {
	r, err := parseMachine(req.Host.ID)
	if err != nil {
		return runbooks.RestoreStatus{}, err
	}
	if r.kind == kindArc {
		return runbooks.RestoreStatus{Step: "manual procedure (Arc)", Manual: arcMOP(req), Source: "azure-arc"}, nil
	}
	c, err := p.sub(r.sub)
	if err != nil {
		return runbooks.RestoreStatus{}, err
	}
	vm, err := c.vms.Get(ctx, r.group, r.name, nil)
	if err != nil {
		return runbooks.RestoreStatus{}, fmt.Errorf("read VM %s: %w", r.name, err)
	}
	h := restoreHandle{VM: req.Host.ID, Disk: restoredDiskName(r.name, req.Tag)}
	lro, err := c.disks.BeginCreateOrUpdate(ctx, r.group, h.Disk, armcompute.Disk{
		Location: vm.Location,
		Tags:     map[string]*string{tagOp: to.Ptr(req.Tag), tagHost: to.Ptr(req.Host.ID)},
		Properties: &armcompute.DiskProperties{CreationData: &armcompute.CreationData{
			CreateOption: to.Ptr(armcompute.DiskCreateOptionCopy), SourceResourceID: to.Ptr(req.Backup.ID)}},
	}, nil)
	if err != nil {
		return runbooks.RestoreStatus{}, fmt.Errorf("make disk %s from %s: %w", h.Disk, req.Backup.ID, err)
	}
	if h.Token, err = token(lro.ResumeToken()); err != nil {
		return runbooks.RestoreStatus{}, err
	}
	return status(h, ""), nil
}

func token(t string, err error) (json.RawMessage, error) {
	if err != nil {
		return nil, nil // a finished LRO has no token: the step is done
	}
	return json.RawMessage(t), nil
}

// PollRestore polls the step's operation and, once it succeeded, sends
// the next step after looking at the VM (so a step an interrupted poll
// already sent is not sent again).
func (p *Provider) PollRestore(ctx context.Context, req runbooks.RestoreRequest, hs string) (runbooks.RestoreStatus, error) {
	h, err := decodeRestore(hs)
	if err != nil {
		return runbooks.RestoreStatus{}, err
	}
	r, err := parseMachine(h.VM)
	if err != nil {
		return runbooks.RestoreStatus{}, err
	}
	c, err := p.sub(r.sub)
	if err != nil {
		return runbooks.RestoreStatus{}, err
	}
	if len(h.Token) > 0 {
		done, fail, err := p.pollStep(ctx, c, r, h)
		if err != nil {
			return runbooks.RestoreStatus{}, err
		}
		if fail != "" {
			st := status(h, "")
			st.Failed = restoreSteps[h.Step] + " failed: " + fail
			return st, nil
		}
		if !done {
			return status(h, ""), nil
		}
	}
	if h.Step == len(restoreSteps)-1 {
		st := status(h, "")
		st.Done = true
		return st, nil
	}
	if h.Step == 0 && len(h.Token) == 0 {
		// Found by name after a crash: wait for the disk itself.
		d, err := c.disks.Get(ctx, r.group, h.Disk, nil)
		if err != nil {
			return runbooks.RestoreStatus{}, fmt.Errorf("read disk %s: %w", h.Disk, err)
		}
		if d.Properties == nil || str(d.Properties.ProvisioningState) != "Succeeded" {
			return status(h, "disk not ready yet"), nil
		}
	}
	h.Step++
	h.Token = nil
	power, osDisk, err := p.vmState(ctx, c, r)
	if err != nil {
		return runbooks.RestoreStatus{}, err
	}
	diskID := "/subscriptions/" + r.sub + "/resourceGroups/" + r.group + "/providers/Microsoft.Compute/disks/" + h.Disk
	note := ""
	var tok string
	switch restoreSteps[h.Step] {
	case "deallocate":
		if power == "deallocated" || power == "deallocating" {
			note = "already deallocated"
			break
		}
		lro, err := c.vms.BeginDeallocate(ctx, r.group, r.name, nil)
		if err != nil {
			return runbooks.RestoreStatus{}, fmt.Errorf("deallocate %s: %w", r.name, err)
		}
		tok, err = lro.ResumeToken()
		if err != nil {
			note = "deallocated"
		}
	case "swap-os-disk":
		if strings.EqualFold(osDisk, diskID) {
			note = "the restored disk is already the OS disk"
			break
		}
		if power != "deallocated" {
			h.Step-- // still deallocating: look again on the next poll
			return status(h, "waiting for the VM to deallocate"), nil
		}
		lro, err := c.vms.BeginUpdate(ctx, r.group, r.name, armcompute.VirtualMachineUpdate{Properties: &armcompute.VirtualMachineProperties{
			StorageProfile: &armcompute.StorageProfile{OSDisk: &armcompute.OSDisk{Name: to.Ptr(h.Disk), ManagedDisk: &armcompute.ManagedDiskParameters{ID: to.Ptr(diskID)}}}}}, nil)
		if err != nil {
			return runbooks.RestoreStatus{}, fmt.Errorf("swap the OS disk of %s: %w", r.name, err)
		}
		tok, _ = lro.ResumeToken()
	case "start":
		if power == "running" || power == "starting" {
			note = "already running"
			break
		}
		lro, err := c.vms.BeginStart(ctx, r.group, r.name, nil)
		if err != nil {
			return runbooks.RestoreStatus{}, fmt.Errorf("start %s: %w", r.name, err)
		}
		tok, _ = lro.ResumeToken()
	}
	if tok != "" {
		h.Token = json.RawMessage(tok)
	}
	return status(h, note), nil
}

// pollStep resumes the step's LRO and polls it once.
func (p *Provider) pollStep(ctx context.Context, c *subClients, r resource, h restoreHandle) (bool, string, error) {
	tok := string(h.Token)
	var lro interface {
		Poll(context.Context) (*http.Response, error)
		Done() bool
	}
	var err error
	switch restoreSteps[h.Step] {
	case "create-disk":
		lro, err = c.disks.BeginCreateOrUpdate(ctx, r.group, h.Disk, armcompute.Disk{}, &armcompute.DisksClientBeginCreateOrUpdateOptions{ResumeToken: tok})
	case "deallocate":
		lro, err = c.vms.BeginDeallocate(ctx, r.group, r.name, &armcompute.VirtualMachinesClientBeginDeallocateOptions{ResumeToken: tok})
	case "swap-os-disk":
		lro, err = c.vms.BeginUpdate(ctx, r.group, r.name, armcompute.VirtualMachineUpdate{}, &armcompute.VirtualMachinesClientBeginUpdateOptions{ResumeToken: tok})
	case "start":
		lro, err = c.vms.BeginStart(ctx, r.group, r.name, &armcompute.VirtualMachinesClientBeginStartOptions{ResumeToken: tok})
	}
	if err != nil {
		return false, "", fmt.Errorf("resume %s of %s: %w", restoreSteps[h.Step], r.name, err)
	}
	if !lro.Done() {
		if _, err := lro.Poll(ctx); err != nil {
			return false, reason(err), nil
		}
	}
	return lro.Done(), "", nil
}

// vmState reads a VM's power state and OS disk.
func (p *Provider) vmState(ctx context.Context, c *subClients, r resource) (power, osDisk string, err error) {
	iv, err := c.vms.InstanceView(ctx, r.group, r.name, nil)
	if err != nil {
		return "", "", fmt.Errorf("read the instance view of %s: %w", r.name, err)
	}
	for _, s := range iv.Statuses {
		if code := str(s.Code); strings.HasPrefix(code, "PowerState/") {
			power = strings.TrimPrefix(code, "PowerState/")
		}
	}
	vm, err := c.vms.Get(ctx, r.group, r.name, nil)
	if err != nil {
		return "", "", fmt.Errorf("read VM %s: %w", r.name, err)
	}
	return power, osDiskID(vm.VirtualMachine), nil
}

func status(h restoreHandle, note string) runbooks.RestoreStatus {
	step := restoreSteps[h.Step] + " " + lastSegment(h.VM)
	if note != "" {
		step += " (" + note + ")"
	}
	return runbooks.RestoreStatus{Handle: h.encode(), Step: step, Source: sourceCompute}
}
