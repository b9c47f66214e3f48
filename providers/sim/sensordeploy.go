package sim

import (
	"context"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Sensor install methods, as Stats.Calls and Faults name them.
const (
	MethodStartInstall = "StartInstall"
	MethodFindInstall  = "FindInstall"
	MethodPollInstall  = "PollInstall"
)

var _ runbooks.SensorInstaller = (*Fleet)(nil)

// installOp is one sensor install command in the simulated clouds: sent
// once per tag, finished OpDuration later, when each host's sensor is
// installed (or upgraded to the latest build) as the real install script
// would leave it.
type installOp struct {
	Handle  string    `json:"handle"`
	Tag     string    `json:"tag"`
	Hosts   []int     `json:"hosts"`
	Sent    time.Time `json:"sent"`
	DoneAt  time.Time `json:"done_at"`
	Applied bool      `json:"applied,omitempty"`
}

// InstallSends counts the install commands each host was sent, by host ID
// (a deployment sends each host exactly one).
func (f *Fleet) InstallSends() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, op := range f.st.Installs {
		for _, i := range op.Hosts {
			out[f.w.hosts[i].ID]++
		}
	}
	return out
}

func (f *Fleet) installByTag(tag string) *installOp {
	for _, op := range f.st.Installs {
		if op.Tag == tag {
			return op
		}
	}
	return nil
}

// FindInstall answers the command an earlier step sent with this tag.
func (f *Fleet) FindInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, bool, error) {
	var st runbooks.SensorInstallStatus
	found := false
	err := f.call(ctx, MethodFindInstall, func(int) error {
		if op := f.installByTag(req.Tag); op != nil {
			st, found = runbooks.SensorInstallStatus{Handle: op.Handle, Source: runbooks.SourceSimulation}, true
		}
		return nil
	})
	return st, found, err
}

// StartInstall sends the install command to the batch's hosts.
func (f *Fleet) StartInstall(ctx context.Context, req runbooks.SensorInstallRequest) (runbooks.SensorInstallStatus, error) {
	var st runbooks.SensorInstallStatus
	err := f.call(ctx, MethodStartInstall, func(n int) error {
		op := &installOp{Tag: req.Tag, Sent: f.now(), DoneAt: f.now().Add(f.cfg.OpDuration)}
		for _, h := range req.Hosts {
			i, ok := f.w.byID[h.ID]
			if !ok {
				return runbooks.Errorf(runbooks.CodeNotFound, "sim: no host %s", h.ID)
			}
			op.Hosts = append(op.Hosts, i)
		}
		f.st.Seq["install"]++
		op.Handle = fmt.Sprintf("sim-install-%06d", f.st.Seq["install"])
		f.st.Installs = append(f.st.Installs, op)
		if err := f.commit(); err != nil {
			return err
		}
		if err := f.lostReply(MethodStartInstall, n); err != nil {
			return err
		}
		st = runbooks.SensorInstallStatus{Handle: op.Handle, Source: runbooks.SourceSimulation}
		return nil
	})
	return st, err
}

// PollInstall reports the command done OpDuration after it was sent, every
// host installed; the sensors register at once.
func (f *Fleet) PollInstall(ctx context.Context, req runbooks.SensorInstallRequest, handle string) (runbooks.SensorInstallStatus, error) {
	var st runbooks.SensorInstallStatus
	err := f.call(ctx, MethodPollInstall, func(int) error {
		var op *installOp
		for _, o := range f.st.Installs {
			if o.Handle == handle {
				op = o
			}
		}
		if op == nil {
			return runbooks.Errorf(runbooks.CodeNotFound, "sim: no install command %s", handle)
		}
		st = runbooks.SensorInstallStatus{Handle: handle, Source: runbooks.SourceSimulation}
		if f.now().Before(op.DoneAt) {
			return nil
		}
		if !op.Applied {
			for _, i := range op.Hosts {
				m := f.st.Hosts[i]
				if m.NoSensor || m.KernelMismatch {
					m.SensorUpgraded = true
				}
				m.NoSensor = false
				f.putMut(i, m)
			}
			op.Applied = true
			if err := f.commit(); err != nil {
				return err
			}
		}
		st.Done = true
		for _, i := range op.Hosts {
			st.Hosts = append(st.Hosts, runbooks.SensorHostResult{HostID: f.w.hosts[i].ID, OK: true})
		}
		return nil
	})
	return st, err
}
