package sim

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Faults name what is broken in a fleet. Host faults take selectors: a host
// ID, a host name, or "tenant/env" for every host of that environment. A
// selector that matches no host makes New fail, so a typo cannot make a test
// pass by testing nothing.
type Faults struct {
	// Unmanaged maps a selector to the status its patch agent reports: the
	// hosts run in the cloud but the agent does not manage them.
	// "ConnectionLost" is an agent that stopped reporting; "" is one that
	// never registered.
	Unmanaged map[string]string
	// NoSensor hosts have no EDR sensor installed.
	NoSensor []string
	// KernelMismatch hosts run RHEL (the sim re-images any other OS to RHEL 9)
	// and are offered a kernel their sensor version does not support, so
	// PrePatch reports them; FixHost upgrades their sensor.
	KernelMismatch []string
	// BackupFail hosts fail their backup.
	BackupFail []string
	// PatchFail hosts fail their patch.
	PatchFail []string
	// PostPatchRFM hosts' sensors enter reduced-functionality mode once
	// patched, so PostPatch reports them.
	PostPatchRFM []string
	// AppBreaks hosts' application fails its health check once they are
	// patched (Health reports a problem for their environment) until they
	// are rolled back to their pre-patch backup.
	AppBreaks []string
	// HealthProblems maps "tenant/env" to the problems Health reports for it
	// until SetHealthProblems clears them.
	HealthProblems map[string][]runbooks.Problem

	// ErrorEvery maps a method (MethodStartPatch, …) to n: every nth call
	// fails with ErrInjected before it takes effect.
	ErrorEvery map[string]int
	// ErrorRate maps a method to the fraction of its calls that fail with
	// ErrInjected before taking effect, chosen by Seed and call number.
	ErrorRate map[string]float64
	// LostReplyEvery maps a mutating method (start, pager) to n: every nth
	// call takes effect and then fails with ErrInjected, as when a reply is
	// lost on the way back; the caller must find its own earlier request.
	LostReplyEvery map[string]int
}

// FaultKind names one host fault for SetHostFault and ClearHostFault.
type FaultKind string

const (
	FaultUnmanaged      FaultKind = "unmanaged"    // agent reports ConnectionLost
	FaultUnregistered   FaultKind = "unregistered" // agent never registered
	FaultNoSensor       FaultKind = "no_sensor"
	FaultKernelMismatch FaultKind = "kernel_mismatch"
	FaultBackupFail     FaultKind = "backup_fail"
	FaultPatchFail      FaultKind = "patch_fail"
	FaultPostPatchRFM   FaultKind = "post_patch_rfm"
	FaultAppBreaks      FaultKind = "app_breaks"
)

// hostMut is what faults and repairs changed on one generated host; the zero
// value is a healthy host and is not stored.
type hostMut struct {
	Unmanaged      bool   `json:"unmanaged,omitempty"`
	AgentStatus    string `json:"agent_status,omitempty"`
	NoSensor       bool   `json:"no_sensor,omitempty"`
	KernelMismatch bool   `json:"kernel_mismatch,omitempty"`
	SensorUpgraded bool   `json:"sensor_upgraded,omitempty"`
	BackupFail     bool   `json:"backup_fail,omitempty"`
	PatchFail      bool   `json:"patch_fail,omitempty"`
	PostPatchRFM   bool   `json:"post_patch_rfm,omitempty"`
	AppBreaks      bool   `json:"app_breaks,omitempty"`
	// Patches released after the host's cycle (ReleasePatches).
	Released        time.Time `json:"released,omitzero"`
	ReleasedPatches int       `json:"released_patches,omitempty"`
}

// set turns fault k on or off.
func (m *hostMut) set(k FaultKind, on bool) error {
	switch k {
	case FaultUnmanaged, FaultUnregistered:
		m.Unmanaged, m.AgentStatus = on, ""
		if on && k == FaultUnmanaged {
			m.AgentStatus = "ConnectionLost"
		}
	case FaultNoSensor:
		m.NoSensor = on
		m.SensorUpgraded = m.SensorUpgraded && !on
	case FaultKernelMismatch:
		// A fresh mismatch means an old sensor again.
		m.KernelMismatch = on
		m.SensorUpgraded = m.SensorUpgraded && !on
	case FaultBackupFail:
		m.BackupFail = on
	case FaultPatchFail:
		m.PatchFail = on
	case FaultPostPatchRFM:
		m.PostPatchRFM = on
	case FaultAppBreaks:
		m.AppBreaks = on
	default:
		return fmt.Errorf("unknown fault kind %q", k)
	}
	return nil
}

// fix repairs everything a person would: registers the agent, installs or
// upgrades the sensor (so a new kernel is supported) and clears failures.
func (m *hostMut) fix() {
	if m.NoSensor || m.KernelMismatch {
		m.SensorUpgraded = true
	}
	*m = hostMut{KernelMismatch: m.KernelMismatch, SensorUpgraded: m.SensorUpgraded}
}

func (f Faults) validate() error {
	for _, m := range slices.Sorted(maps.Keys(f.ErrorEvery)) {
		if !methods[m] || f.ErrorEvery[m] < 0 {
			return fmt.Errorf("sim: ErrorEvery[%q]=%d: unknown method or negative", m, f.ErrorEvery[m])
		}
	}
	for _, m := range slices.Sorted(maps.Keys(f.ErrorRate)) {
		if r := f.ErrorRate[m]; !methods[m] || r < 0 || r > 1 {
			return fmt.Errorf("sim: ErrorRate[%q]=%v: unknown method or not in [0,1]", m, r)
		}
	}
	for _, m := range slices.Sorted(maps.Keys(f.LostReplyEvery)) {
		if !mutating[m] || f.LostReplyEvery[m] < 0 {
			return fmt.Errorf("sim: LostReplyEvery[%q]: only start and pager methods have replies to lose", m)
		}
	}
	return nil
}

// hostFaults lists the configured host faults as (selector, kind) pairs in a
// stable order.
func (f Faults) hostFaults() []selectedFault {
	var out []selectedFault
	for _, sel := range slices.Sorted(maps.Keys(f.Unmanaged)) {
		k := FaultUnmanaged
		if f.Unmanaged[sel] == "" {
			k = FaultUnregistered
		}
		out = append(out, selectedFault{sel, k, f.Unmanaged[sel]})
	}
	for _, l := range []struct {
		sels []string
		kind FaultKind
	}{
		{f.NoSensor, FaultNoSensor}, {f.KernelMismatch, FaultKernelMismatch},
		{f.BackupFail, FaultBackupFail}, {f.PatchFail, FaultPatchFail}, {f.PostPatchRFM, FaultPostPatchRFM},
		{f.AppBreaks, FaultAppBreaks},
	} {
		for _, sel := range l.sels {
			out = append(out, selectedFault{sel, l.kind, ""})
		}
	}
	return out
}

type selectedFault struct {
	selector string
	kind     FaultKind
	status   string // agent status for FaultUnmanaged
}
