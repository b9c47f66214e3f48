package sim

import (
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Config shapes a simulated fleet. Only Tenants is required.
type Config struct {
	// Seed makes generation and random error injection repeatable: the same
	// seed and tenants always yield the same hosts.
	Seed int64
	// Tenants are the tenants whose environments and targets the fleet is
	// generated for; Hosts refuses any other tenant or environment.
	Tenants []runbooks.Tenant
	// HostsPerTarget is how many hosts each target runs in each of its
	// regions (default 4).
	HostsPerTarget int
	// Clock decides when operations finish (default runbooks.SystemClock).
	Clock runbooks.Clock
	// Latency is slept, respecting ctx, at the start of every call.
	Latency time.Duration
	// PageSize is how many hosts one simulated cloud list call returns
	// (default 50); Stats.InventoryPages counts the pages.
	PageSize int
	// OpDuration is how long after its start a backup or patch finishes by
	// Clock; 0 finishes it at once.
	OpDuration time.Duration
	// StatePath, if set, is the file the simulated world is kept in: New
	// loads it when present, and every mutating call rewrites it atomically
	// before returning. A loaded state wins over Faults.
	StatePath string
	// HandleBytes is how many bytes each host of an operation adds to its
	// handle, per cloud, so handles have the size of the real providers'
	// (an AWS patch handle names every instance, ~60 B each; Azure keeps an
	// operation per machine, ~760 B each). Zero keeps handles short.
	HandleBytes map[runbooks.Cloud]int
	// Groups are the chat user groups GroupMembers resolves.
	Groups map[string][]string
	// Pipeline says which environments are production, by the tier flag
	// config sets, whatever they are called (default
	// runbooks.DefaultPipeline).
	Pipeline runbooks.Pipeline
	// Faults break the fleet on purpose.
	Faults Faults
}

// Method names, as used by Faults.ErrorEvery and friends and Stats.Calls.
const (
	MethodHosts        = "Hosts"
	MethodPrePatch     = "PrePatch"
	MethodPostPatch    = "PostPatch"
	MethodStartBackup  = "StartBackup"
	MethodFindBackup   = "FindBackup"
	MethodBackupStatus = "BackupStatus"
	MethodStartPatch   = "StartPatch"
	MethodFindPatch    = "FindPatch"
	MethodPatchStatus  = "PatchStatus"
	MethodVerifyPatch  = "VerifyPatch"
	MethodProblems     = "Problems"
	MethodBackupsOf    = "PrePatchBackups"
	MethodStartRestore = "StartRestore"
	MethodFindRestore  = "FindRestore"
	MethodPollRestore  = "PollRestore"
	MethodListBackups  = "ListPrePatchBackups"
	MethodDeleteBackup = "DeleteBackup"
	MethodTrigger      = "Trigger"
	MethodAcknowledge  = "Acknowledge"
	MethodResolve      = "Resolve"
	MethodGroupMembers = "GroupMembers"
)

var methods = map[string]bool{
	MethodHosts: true, MethodPrePatch: true, MethodPostPatch: true,
	MethodStartBackup: true, MethodFindBackup: true, MethodBackupStatus: true,
	MethodStartPatch: true, MethodFindPatch: true, MethodPatchStatus: true, MethodVerifyPatch: true,
	MethodProblems: true, MethodTrigger: true, MethodAcknowledge: true, MethodResolve: true,
	MethodGroupMembers: true, MethodAccessReport: true,
	MethodStartInstall: true, MethodFindInstall: true, MethodPollInstall: true,
}

// mutating are the methods whose effect can outlive a lost reply.
var mutating = map[string]bool{
	MethodStartBackup: true, MethodStartPatch: true, MethodStartInstall: true,
	MethodTrigger: true, MethodAcknowledge: true, MethodResolve: true,
}

func (c *Config) defaults() error {
	if len(c.Tenants) == 0 {
		return fmt.Errorf("sim: no tenants to generate a fleet for")
	}
	if c.HostsPerTarget <= 0 {
		c.HostsPerTarget = 4
	}
	if len(c.Pipeline) == 0 {
		c.Pipeline = runbooks.DefaultPipeline()
	}
	if c.Clock == nil {
		c.Clock = runbooks.SystemClock
	}
	if c.PageSize <= 0 {
		c.PageSize = 50
	}
	if c.OpDuration < 0 {
		return fmt.Errorf("sim: negative OpDuration %s", c.OpDuration)
	}
	seen := map[string]bool{}
	for _, t := range c.Tenants {
		if t.Name == "" || seen[t.Name] {
			return fmt.Errorf("sim: tenant names must be unique and non-empty (got %q twice or empty)", t.Name)
		}
		seen[t.Name] = true
	}
	return c.Faults.validate()
}
