package runbooks

import "time"

// Cloud names a cloud a target lives in.
type Cloud string

const (
	AWS   Cloud = "aws"
	Azure Cloud = "azure"
	GCP   Cloud = "gcp"
)

// Tenant is one client of the platform (a credit union) with its own
// environments; tenants' cycles run in parallel and a failure halts only the
// tenant it happened in.
type Tenant struct {
	Name         string        `json:"name"`
	Display      string        `json:"display,omitempty"`
	Environments []Environment `json:"environments"`
	// Windows maps a tier to this tenant's change window, replacing the
	// tier's own (see Window).
	Windows map[string]string `json:"windows,omitempty"`
}

// Env returns the tenant's environment called name.
func (t Tenant) Env(name string) (Environment, bool) {
	for _, e := range t.Environments {
		if e.Name == name {
			return e, true
		}
	}
	return Environment{}, false
}

// Environment is one tier of a tenant (nonprod, staging, production) and the
// cloud targets it is made of.
type Environment struct {
	Name    string   `json:"name"`
	Targets []Target `json:"targets"`
}

// Target is a slice of one cloud: an AWS account and regions, an Azure
// subscription and resource groups, or a GCP project and zones, narrowed by
// tags/labels.
type Target struct {
	Cloud    Cloud             `json:"cloud"`
	Account  string            `json:"account"` // AWS account, Azure subscription, GCP project
	Regions  []string          `json:"regions,omitempty"`
	Groups   []string          `json:"groups,omitempty"` // Azure resource groups
	Selector map[string]string `json:"selector,omitempty"`
	// Databases are backed up before patching: RDS instance names,
	// "cluster:<name>" for Aurora clusters, or RDS ARNs.
	Databases []string `json:"databases,omitempty"`
}

// Host is one machine found by inventory.
type Host struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Cloud       Cloud  `json:"cloud"`
	Account     string `json:"account"`
	Region      string `json:"region,omitempty"`
	Env         string `json:"env"`
	OS          string `json:"os"`
	OSVersion   string `json:"os_version,omitempty"`
	Kernel      string `json:"kernel,omitempty"`
	Managed     bool   `json:"managed"` // known to the patch agent (SSM, Arc, OS Config) and online
	AgentStatus string `json:"agent_status,omitempty"`

	HasSensor     bool   `json:"has_sensor"`
	SensorVersion string `json:"sensor_version,omitempty"`
	SensorRFM     bool   `json:"sensor_rfm,omitempty"` // reduced-functionality mode
	// SensorSource is the system that measured the three fields above
	// (falcon, simulation); empty when nothing did, and then they say
	// nothing about the host's sensor.
	SensorSource string `json:"sensor_source,omitempty"`

	PendingPatches int       `json:"pending_patches"`
	PendingKernel  string    `json:"pending_kernel,omitempty"` // kernel a patch would install
	LastPatched    time.Time `json:"last_patched,omitempty"`

	// Source is the system that listed the host (aws-ssm, azure-arc,
	// azure-vm, gcp-osconfig, simulation).
	Source string `json:"source,omitempty"`
}

// Finding is one host-level problem a gate or a check found.
type Finding struct {
	HostID   string `json:"host"`
	HostName string `json:"name,omitempty"`
	Reason   string `json:"reason"`
	Source   string `json:"source,omitempty"` // the system that found it
}

// Problem is an open health problem in a monitored environment.
type Problem struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url,omitempty"`
}
