package gcp

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	osconfig "google.golang.org/api/osconfig/v1"

	"github.com/patchgate/patchgate/runbooks"
)

// Windows and SUSE VMs get the sensor through an OS policy assignment, not
// a patch job: their patch settings cannot narrow a patch step to one
// package (Windows Update takes KB IDs, zypper takes patch names), so a
// patch job would install whatever else is pending. An assignment's exec
// resource runs only the install script, on exactly the VMs carrying the
// batch's label, and reports each VM's outcome with the agent's message.
// The validate step checks a marker the enforce step writes after the
// script succeeds, so each VM runs the script once per batch attempt, and
// the assignment is deleted once every VM has an outcome so that a failing
// VM is not retried on every agent cycle.

// sensorLabel is the instance label an assignment selects its VMs by; its
// value is the batch's marker.
const sensorLabel = "patchgate-sensor"

// sensorPolicyID is the OS policy's ID inside an assignment.
const sensorPolicyID = "falcon-sensor"

// On-VM paths: where the file resource puts the install script and where
// enforce leaves the marker validate looks for.
const (
	linuxScriptPath   = "/var/lib/patchgate/falcon-install.sh"
	linuxMarkerPath   = "/var/lib/patchgate/sensor-installed"
	windowsScriptPath = `C:\ProgramData\patchgate\falcon-install.ps1`
	windowsMarkerPath = `C:\ProgramData\patchgate\sensor-installed`
)

// osFamily sorts a VM by how the sensor reaches it.
type osFamily int

const (
	familyPatchJob osFamily = iota // apt or yum: a narrowed patch job
	familyWindows
	familySUSE
)

func familyOf(h runbooks.Host) osFamily {
	os := strings.ToLower(h.OS)
	switch {
	case strings.Contains(os, "windows"):
		return familyWindows
	case strings.Contains(os, "sles") || strings.Contains(os, "suse"):
		return familySUSE
	}
	return familyPatchJob
}

// marker is the batch's label value and on-VM marker: a hash of its tag
// (tags hold characters label values may not).
func marker(tag string) string { return "sd-" + short(tag, 20) }

// assignmentID is the batch's assignment in each zone; being derived from
// the tag, a second create for the same batch meets ALREADY_EXISTS, so
// replicas and restarts cannot create it twice.
func assignmentID(tag string) string { return "patchgate-sensor-" + short(tag, 20) }

// zoneKey is one project and zone: assignments are zonal.
type zoneKey struct{ project, zone string }

func (z zoneKey) parent() string { return "projects/" + z.project + "/locations/" + z.zone }

func (z zoneKey) assignment(tag string) string {
	return z.parent() + "/osPolicyAssignments/" + assignmentID(tag)
}

// sensorAssignment is the assignment for the hosts of one zone: one OS
// policy with a resource group per OS short name the agents reported
// (Windows ones run PowerShell, SUSE ones a shell), each copying the
// install script to the VM and running it once.
func sensorAssignment(req runbooks.SensorInstallRequest, s SensorInstall, hosts []runbooks.Host) (*osconfig.OSPolicyAssignment, error) {
	names := map[osFamily][]string{}
	seen := map[string]bool{}
	for _, h := range hosts {
		if f := familyOf(h); !seen[h.OS] {
			seen[h.OS] = true
			names[f] = append(names[f], h.OS)
		}
	}
	var groups []*osconfig.OSPolicyResourceGroup
	for _, f := range []osFamily{familyWindows, familySUSE} {
		if len(names[f]) == 0 {
			continue
		}
		sort.Strings(names[f])
		res, err := sensorResources(f, s, marker(req.Tag))
		if err != nil {
			return nil, err
		}
		g := &osconfig.OSPolicyResourceGroup{Resources: res}
		for _, n := range names[f] {
			g.InventoryFilters = append(g.InventoryFilters, &osconfig.OSPolicyInventoryFilter{OsShortName: n})
		}
		groups = append(groups, g)
	}
	return &osconfig.OSPolicyAssignment{
		Description: sensorDescription(req),
		InstanceFilter: &osconfig.OSPolicyAssignmentInstanceFilter{
			InclusionLabels: []*osconfig.OSPolicyAssignmentLabelSet{{Labels: map[string]string{sensorLabel: marker(req.Tag)}}},
		},
		OsPolicies: []*osconfig.OSPolicy{{
			Id: sensorPolicyID, Mode: "ENFORCEMENT", ResourceGroups: groups,
			Description: "Falcon sensor install for " + req.Deploy,
		}},
		// The engine's batches bound how many VMs install at once; inside
		// a batch every VM may.
		Rollout: &osconfig.OSPolicyAssignmentRollout{DisruptionBudget: &osconfig.FixedOrPercent{Percent: 100}, MinWaitDuration: "0s"},
	}, nil
}

// sensorResources copies the family's script to the VM (unless it is
// already a path on the image) and runs it behind the marker check.
func sensorResources(f osFamily, s SensorInstall, mark string) ([]*osconfig.OSPolicyResource, error) {
	script, key, path := s.Script, "edr.deploy.gcp.script", linuxScriptPath
	if f == familyWindows {
		script, key, path = s.WindowsScript, "edr.deploy.gcp.windows_script", windowsScriptPath
	}
	if script == "" {
		return nil, runbooks.Errorf(runbooks.CodeBlocked, "no install script for these VMs is configured (%s)", key)
	}
	var res []*osconfig.OSPolicyResource
	if m := gcsObjectRE.FindStringSubmatch(script); m != nil {
		gen, _ := strconv.ParseInt(m[3], 10, 64)
		res = append(res, &osconfig.OSPolicyResource{Id: "install-script", File: &osconfig.OSPolicyResourceFileResource{
			File:  &osconfig.OSPolicyResourceFile{Gcs: &osconfig.OSPolicyResourceFileGcs{Bucket: m[1], Object: m[2], Generation: gen}},
			Path:  path,
			State: "PRESENT", Permissions: "700",
		}})
	} else if isLocalPath(script) {
		path = script
	} else {
		return nil, runbooks.Errorf(runbooks.CodeBlocked, "%s %q: want gs://bucket/object#generation or an absolute path on the VMs", key, script)
	}
	exec := linuxExec(path, mark)
	if f == familyWindows {
		exec = windowsExec(path, mark)
	}
	return append(res, &osconfig.OSPolicyResource{Id: "install-sensor", Exec: exec}), nil
}

// isLocalPath accepts /abs/path and C:\abs\path.
func isLocalPath(s string) bool {
	return strings.HasPrefix(s, "/") || (len(s) > 3 && s[1] == ':' && s[2] == '\\')
}

// linuxExec: validate exits 100 (in desired state) once the marker holds
// this batch's value, 101 otherwise; enforce runs the script and writes
// the marker only when it exits 0, then exits 100 as OS Config expects.
func linuxExec(script, mark string) *osconfig.OSPolicyResourceExecResource {
	validate := fmt.Sprintf("[ \"$(cat %s 2>/dev/null)\" = %s ] && exit 100\nexit 101\n", linuxMarkerPath, mark)
	enforce := fmt.Sprintf("/bin/sh %s || exit $?\nmkdir -p %s && echo %s > %s || exit 1\nexit 100\n",
		script, linuxMarkerPath[:strings.LastIndexByte(linuxMarkerPath, '/')], mark, linuxMarkerPath)
	return &osconfig.OSPolicyResourceExecResource{
		Validate: &osconfig.OSPolicyResourceExecResourceExec{Interpreter: "SHELL", Script: validate},
		Enforce:  &osconfig.OSPolicyResourceExecResourceExec{Interpreter: "SHELL", Script: enforce},
	}
}

// windowsExec is linuxExec in PowerShell, which exits 0 unless told
// otherwise: the script's own failure ($? false or a non-zero exit code)
// is passed on explicitly.
func windowsExec(script, mark string) *osconfig.OSPolicyResourceExecResource {
	validate := fmt.Sprintf("if ((Get-Content -Path '%s' -ErrorAction SilentlyContinue) -eq '%s') { exit 100 }\nexit 101\n", windowsMarkerPath, mark)
	enforce := fmt.Sprintf("$global:LASTEXITCODE = 0\n& '%s'\nif (-not $?) { exit 1 }\nif ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }\n"+
		"New-Item -ItemType Directory -Force -Path '%s' | Out-Null\nSet-Content -Path '%s' -Value '%s'\nexit 100\n",
		script, windowsMarkerPath[:strings.LastIndexByte(windowsMarkerPath, '\\')], windowsMarkerPath, mark)
	return &osconfig.OSPolicyResourceExecResource{
		Validate: &osconfig.OSPolicyResourceExecResourceExec{Interpreter: "POWERSHELL", Script: validate},
		Enforce:  &osconfig.OSPolicyResourceExecResourceExec{Interpreter: "POWERSHELL", Script: enforce},
	}
}
