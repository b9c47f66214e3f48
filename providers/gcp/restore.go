package gcp

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	compute "google.golang.org/api/compute/v1"

	"github.com/patchgate/patchgate/runbooks"
)

var _ runbooks.Restorer = (*Provider)(nil)

// sourceCompute names Compute Engine as the system that restored a VM.
const sourceCompute = "gcp-compute"

// restoreSteps are a VM's restore, in order: a disk from the pre-patch
// snapshot, stop, detach the patched boot disk, attach the restored one
// as boot disk, start. The VM keeps its name, ID, IPs and NICs.
var restoreSteps = []string{"create-disk", "stop", "detach-boot-disk", "attach-boot-disk", "start"}

// restoreHandle names the step running and its zone operation ("" when the
// step had nothing to do, as a crash-resumed step that found it done).
type restoreHandle struct {
	Project  string `json:"p"`
	Zone     string `json:"z"`
	Instance string `json:"i"`
	Disk     string `json:"d"` // the restored disk's name
	Step     int    `json:"s"`
	Op       string `json:"o,omitempty"`
}

const restorePrefix = "gcp-restore:"

func (h restoreHandle) String() string {
	b, _ := json.Marshal(h)
	return restorePrefix + string(b)
}

func parseRestoreHandle(s string) (restoreHandle, error) {
	var h restoreHandle
	body, ok := strings.CutPrefix(s, restorePrefix)
	if !ok {
		return h, runbooks.Errorf(runbooks.CodeInvalid, "not a GCP restore handle: %.40q", s)
	}
	if err := json.Unmarshal([]byte(body), &h); err != nil || h.Step < 0 || h.Step >= len(restoreSteps) {
		return h, runbooks.Errorf(runbooks.CodeInvalid, "GCP restore handle %.40q: %v", s, err)
	}
	return h, nil
}

// PrePatchBackups lists the boot-disk snapshots of a backup handle, one per
// VM, with when Compute Engine says each was created.
func (p *Provider) PrePatchBackups(ctx context.Context, hs string) ([]runbooks.HostBackup, error) {
	h, err := parseBackupHandle(hs)
	if err != nil {
		return nil, err
	}
	cycle, _, _ := strings.Cut(h.Tag, "/")
	var out []runbooks.HostBackup
	for _, it := range h.Items {
		if it.Err != "" {
			continue // no snapshot was taken: nothing to return to
		}
		sn, err := p.compute.Snapshots.Get(it.Project, it.Snapshot).Context(ctx).Do()
		if err != nil {
			return nil, coded("read snapshot "+it.Project+"/"+it.Snapshot, err)
		}
		if sn.Status != "READY" {
			continue
		}
		at, _ := time.Parse(time.RFC3339, sn.CreationTimestamp)
		out = append(out, runbooks.HostBackup{HostID: it.HostID, HostName: it.HostName, Cloud: runbooks.GCP,
			Kind: runbooks.BackupDiskSnapshot, ID: it.Snapshot, TakenAt: at.UTC(), Cycle: cycle, Tag: h.Tag, Source: sourceCompute})
	}
	return out, nil
}

// restoredDisk is the one name the restored disk of a request can have, so
// a repeated insert is refused as a duplicate (and found) instead of made
// twice.
func restoredDisk(req runbooks.RestoreRequest) string {
	return resourceName("pgrb", req.Host.Name, req.Tag)
}

// FindRestore finds the disk an earlier step made for req's tag; the
// restore then goes on from the step after it (each later step looks at
// the VM before acting, so nothing is sent twice).
func (p *Provider) FindRestore(ctx context.Context, req runbooks.RestoreRequest) (runbooks.RestoreStatus, bool, error) {
	project, zone := req.Host.Account, req.Host.Region
	d, err := p.compute.Disks.Get(project, zone, restoredDisk(req)).Context(ctx).Do()
	if httpCode(err) == 404 {
		return runbooks.RestoreStatus{}, false, nil
	}
	if err != nil {
		return runbooks.RestoreStatus{}, false, coded("read disk "+restoredDisk(req), err)
	}
	h := restoreHandle{Project: project, Zone: zone, Instance: req.Host.Name, Disk: d.Name}
	return p.status(h, "found the disk made earlier (status "+d.Status+")"), true, nil
}

// StartRestore makes the disk from the pre-patch snapshot.
func (p *Provider) StartRestore(ctx context.Context, req runbooks.RestoreRequest) (runbooks.RestoreStatus, error) {
	project, zone := req.Host.Account, req.Host.Region
	h := restoreHandle{Project: project, Zone: zone, Instance: req.Host.Name, Disk: restoredDisk(req)}
	op, err := p.compute.Disks.Insert(project, zone, &compute.Disk{
		Name: h.Disk, SourceSnapshot: "projects/" + project + "/global/snapshots/" + req.Backup.ID,
		Description: fmt.Sprintf("patchgate rollback %s of %s from %s", req.Rollback, req.Host.Name, req.Backup.ID),
		Labels:      map[string]string{labelTag: labelValue(req.Tag), labelInstance: labelValue(req.Host.Name)},
	}).Context(ctx).Do()
	switch {
	case httpCode(err) == 409: // made by an earlier, interrupted step
		return p.status(h, "disk already made"), nil
	case err != nil:
		return runbooks.RestoreStatus{}, coded("make disk "+h.Disk+" from "+req.Backup.ID, err)
	}
	h.Op = op.Name
	return p.status(h, ""), nil
}

// PollRestore waits for the step's operation and then sends the next step,
// after looking at the VM so a step an interrupted poll already sent is not
// sent again.
func (p *Provider) PollRestore(ctx context.Context, req runbooks.RestoreRequest, hs string) (runbooks.RestoreStatus, error) {
	h, err := parseRestoreHandle(hs)
	if err != nil {
		return runbooks.RestoreStatus{}, err
	}
	if h.Op != "" {
		op, err := p.compute.ZoneOperations.Get(h.Project, h.Zone, h.Op).Context(ctx).Do()
		if err != nil {
			return runbooks.RestoreStatus{}, coded("poll "+restoreSteps[h.Step]+" of "+h.Instance, err)
		}
		if op.Status != "DONE" {
			return p.status(h, ""), nil
		}
		if op.Error != nil && len(op.Error.Errors) > 0 {
			st := p.status(h, "")
			st.Failed = fmt.Sprintf("%s failed: %s", restoreSteps[h.Step], op.Error.Errors[0].Message)
			if h.Step == 3 {
				st.Failed += "; the VM has NO boot disk attached (its patched disk is detached, not deleted)"
			}
			return st, nil
		}
	}
	if h.Step == len(restoreSteps)-1 {
		st := p.status(h, "")
		st.Done = true
		return st, nil
	}
	h.Step++
	h.Op = ""
	in, err := p.compute.Instances.Get(h.Project, h.Zone, h.Instance).Context(ctx).Do()
	if err != nil {
		return runbooks.RestoreStatus{}, coded("read VM "+h.Instance, err)
	}
	boot := bootDisk(in)
	if in.Status == "STOPPING" && (restoreSteps[h.Step] == "detach-boot-disk" || restoreSteps[h.Step] == "attach-boot-disk") {
		h.Step-- // the stop is still under way: look again on the next poll
		return p.status(h, "waiting for the VM to stop"), nil
	}
	var op *compute.Operation
	note := ""
	switch restoreSteps[h.Step] {
	case "stop":
		if in.Status == "TERMINATED" || in.Status == "STOPPING" {
			note = "already stopping"
			break
		}
		op, err = p.compute.Instances.Stop(h.Project, h.Zone, h.Instance).Context(ctx).Do()
	case "detach-boot-disk":
		if boot == nil || last(boot.Source) == h.Disk {
			note = "the patched boot disk is already detached"
			break
		}
		op, err = p.compute.Instances.DetachDisk(h.Project, h.Zone, h.Instance, boot.DeviceName).Context(ctx).Do()
	case "attach-boot-disk":
		if boot != nil && last(boot.Source) == h.Disk {
			note = "the restored disk is already the boot disk"
			break
		}
		op, err = p.compute.Instances.AttachDisk(h.Project, h.Zone, h.Instance, &compute.AttachedDisk{
			Boot: true, Source: "projects/" + h.Project + "/zones/" + h.Zone + "/disks/" + h.Disk}).Context(ctx).Do()
	case "start":
		if in.Status == "RUNNING" || in.Status == "STAGING" || in.Status == "PROVISIONING" {
			note = "already starting"
			break
		}
		op, err = p.compute.Instances.Start(h.Project, h.Zone, h.Instance).Context(ctx).Do()
	}
	if err != nil {
		return runbooks.RestoreStatus{}, coded(restoreSteps[h.Step]+" "+h.Instance, err)
	}
	if op != nil {
		h.Op = op.Name
	}
	return p.status(h, note), nil
}

func bootDisk(in *compute.Instance) *compute.AttachedDisk {
	for _, d := range in.Disks {
		if d.Boot {
			return d
		}
	}
	return nil
}

func (p *Provider) status(h restoreHandle, note string) runbooks.RestoreStatus {
	step := restoreSteps[h.Step] + " " + h.Instance
	if note != "" {
		step += " (" + note + ")"
	}
	return runbooks.RestoreStatus{Handle: h.String(), Step: step, Source: sourceCompute}
}
