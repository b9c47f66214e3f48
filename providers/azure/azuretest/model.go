package azuretest

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// VM is one Microsoft.Compute virtual machine as the fake knows it.
type VM struct {
	Subscription, ResourceGroup, Name, Location string
	Tags                                        map[string]string
	OSType                                      string // Linux (default) or Windows
	OSName, OSVersion                           string // as the guest agent reports them
	// Agent is the guest agent's display status: Ready, Not Ready, or empty
	// for an agent that never reported (the instance view has no vmAgent).
	Agent        string
	AgentVersion string
	PowerState   string // running (default), deallocated, stopped
	// OSDisk is the OS disk's ID once a restore swapped it (default the
	// VM's own <name>_OsDisk_1).
	OSDisk string
	// The latest patch assessment and installation.
	CriticalAndSecurity, Other int
	LastPatched                time.Time
	// Install is what an installPatches on this VM does.
	Install Outcome
	// Patches are the availablePatches an assessPatches lists.
	Patches []AvailablePatch
}

// AvailablePatch is one entry of a VM's assessPatches availablePatches
// (VirtualMachineSoftwarePatchProperties).
type AvailablePatch struct {
	PatchID, Name, Version, KBID string
	Classifications              []string
	Published                    time.Time
}

// Arc is one Microsoft.HybridCompute (Arc-enabled) machine.
type Arc struct {
	Subscription, ResourceGroup, Name, Location string
	Tags                                        map[string]string
	Status                                      string // Connected (default), Disconnected, Error
	OSName, OSSKU, OSVersion, OSType            string
	AgentVersion                                string
	LastStatusChange                            time.Time
	Install                                     Outcome
	// CriticalAndSecurity is what an assessPatches finds before an install.
	CriticalAndSecurity int
}

// Outcome is what one installPatches does to a machine.
type Outcome struct {
	Status    string // Succeeded (default), Failed, CompletedWithWarnings
	Installed int
	Failed    int // failedPatchCount
	// OpError fails the long-running operation itself (the agent never
	// answered) with this message, instead of returning a result.
	OpError string
	// Remaining is how many critical and security patches the next
	// assessment still finds.
	Remaining int
	// Polls is how many status polls the operation takes (default 2).
	Polls int
}

// Snapshot is a Microsoft.Compute snapshot created through the fake.
type Snapshot struct {
	ID, Name, Location string
	Tags               map[string]string
	Source             string // creationData.sourceResourceId
	CreateOption       string
	Incremental        bool
	State              string    // provisioningState
	Created            time.Time // timeCreated
	gets               int
}

// ID returns the ARM resource ID of a VM.
func (v VM) ID() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/virtualMachines/%s", v.Subscription, v.ResourceGroup, v.Name)
}

// OSDiskID is the managed OS disk the fake gives every VM.
func (v VM) OSDiskID() string {
	if v.OSDisk != "" {
		return v.OSDisk
	}
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Compute/disks/%s_OsDisk_1", v.Subscription, v.ResourceGroup, v.Name)
}

// ID returns the ARM resource ID of an Arc machine.
func (a Arc) ID() string {
	return fmt.Sprintf("/subscriptions/%s/resourceGroups/%s/providers/Microsoft.HybridCompute/machines/%s", a.Subscription, a.ResourceGroup, a.Name)
}

// AddVM registers a VM and returns its resource ID.
func (s *Server) AddVM(v VM) string {
	if v.OSType == "" {
		v.OSType = "Linux"
	}
	if v.PowerState == "" {
		v.PowerState = "running"
	}
	if v.Location == "" {
		v.Location = "eastus2"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.vms[strings.ToLower(v.ID())] = &v
	return v.ID()
}

// AddArc registers an Arc machine and returns its resource ID.
func (s *Server) AddArc(a Arc) string {
	if a.Status == "" {
		a.Status = "Connected"
	}
	if a.OSType == "" {
		a.OSType = "linux"
	}
	if a.Location == "" {
		a.Location = "eastus2"
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.arcs[strings.ToLower(a.ID())] = &a
	return a.ID()
}

// SetInstall changes what the next install on machine id does.
func (s *Server) SetInstall(id string, o Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if v, ok := s.vms[strings.ToLower(id)]; ok {
		v.Install = o
	}
	if a, ok := s.arcs[strings.ToLower(id)]; ok {
		a.Install = o
	}
}

// Snapshots returns copies of every snapshot, ordered by ID.
func (s *Server) Snapshots() []Snapshot {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Snapshot, 0, len(s.snapshots))
	for _, sn := range s.snapshots {
		c := *sn
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// VMState returns a copy of a VM as it is now (after installs).
func (s *Server) VMState(id string) (VM, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.vms[strings.ToLower(id)]
	if !ok {
		return VM{}, false
	}
	return *v, true
}

// inScope reports whether a resource ID lies in subscription sub and, when
// rg is set, in that resource group (both lower-case).
func inScope(id, sub, rg string) bool {
	p := strings.Split(strings.ToLower(strings.Trim(id, "/")), "/")
	return len(p) > 3 && p[1] == sub && (rg == "" || p[3] == rg)
}

func sortedKeys[T any](m map[string]T) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func tagsJSON(t map[string]string) map[string]string {
	if t == nil {
		return map[string]string{}
	}
	return t
}
