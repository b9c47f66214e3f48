package gcptest

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Instance is one VM of the fake and what its OS Config agent reports.
type Instance struct {
	Project, Zone, Name string
	ID                  uint64 // assigned when 0
	Labels              map[string]string
	Status              string // default RUNNING
	BootDisk            string // default the instance name
	Device              string // the boot disk's device name (default BootDisk)
	RegionalBootDisk    bool
	// OS is what the OS Config agent reports; nil means the VM has no
	// agent report at all (no inventory).
	OS *OSInfo
	// Available are package updates the agent reports as available; a
	// successful patch job installs them all.
	Available []Package
	Reported  time.Time // inventory update time; default the server's now
	// Vulnerabilities are what its OS Config vulnerability report lists.
	Vulnerabilities []Vulnerability
	// PatchFailure, when set, makes patch jobs fail on this VM with this
	// failure reason.
	PatchFailure string
	// PolicyFailure, when set, makes the enforce step of an OS policy's
	// exec resource fail on this VM with this message.
	PolicyFailure string
	// Installs counts the exec resources OS policy assignments enforced
	// on this VM.
	Installs int
	// SnapshotError, when set, makes its createSnapshot operation finish
	// with this error.
	SnapshotError string
}

// OSInfo is the osInfo block of an inventory.
type OSInfo struct {
	ShortName, Version, KernelRelease string
}

// Package is one available update; Manager is apt, yum or zypper.
type Package struct {
	Manager, Name, Version, Arch string
}

// AddInstance adds a VM and returns its ID.
func (s *Server) AddInstance(in Instance) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := in
	if c.ID == 0 {
		c.ID = s.id()
	}
	if c.Status == "" {
		c.Status = "RUNNING"
	}
	if c.BootDisk == "" {
		c.BootDisk = c.Name
	}
	if c.Reported.IsZero() {
		c.Reported = s.now()
	}
	s.instances = append(s.instances, &c)
	return c.ID
}

// Instance returns a copy of the VM as it now is (after patching, its
// Available list is empty).
func (s *Server) Instance(project, zone, name string) (Instance, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.find(project, zone, name); in != nil {
		return *in, true
	}
	return Instance{}, false
}

func (s *Server) find(project, zone, name string) *Instance {
	for _, in := range s.instances {
		if in.Project == project && in.Zone == zone && in.Name == name {
			return in
		}
	}
	return nil
}

var labelTerm = regexp.MustCompile(`labels\.([a-z0-9_-]+)\s*=\s*("(?:[^"\\]|\\.)*")`)

// matchLabels evaluates the Compute list filters patchgate sends: terms
// labels.KEY = "VALUE", each optionally in parentheses, all of which must
// hold. Anything else is refused, as a filter the fake cannot judge.
func matchLabels(filter string, labels map[string]string) (bool, error) {
	rest := strings.TrimSpace(labelTerm.ReplaceAllString(filter, ""))
	if strings.Trim(rest, "() ") != "" {
		return false, fmt.Errorf("unsupported filter %q", filter)
	}
	for _, m := range labelTerm.FindAllStringSubmatch(filter, -1) {
		v, err := strconv.Unquote(m[2])
		if err != nil {
			return false, fmt.Errorf("filter value %s: %v", m[2], err)
		}
		if labels[m[1]] != v {
			return false, nil
		}
	}
	return true, nil
}

// SetAvailable replaces a VM's available updates and stamps a new
// inventory report at the server's now (an update published after a
// patch job, say).
func (s *Server) SetAvailable(project, zone, name string, pkgs []Package) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.find(project, zone, name); in != nil {
		in.Available = pkgs
		in.Reported = s.now()
	}
}

// Vulnerability is one entry of a VM's vulnerability report.
type Vulnerability struct {
	CVE, Severity string  // severity as the OS feed says: CRITICAL, HIGH, MEDIUM, LOW, MINIMAL
	CVSSv3        float64 // baseScore
	Fix           string  // the AVAILABLE_PACKAGE inventory item that fixes it; "" when none
	Installed     string  // the INSTALLED_PACKAGE item it affects
	Detected      time.Time
}

// SetStatus sets a VM's status (RUNNING, TERMINATED, …).
func (s *Server) SetStatus(project, zone, name, status string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if in := s.find(project, zone, name); in != nil {
		in.Status = status
	}
}
