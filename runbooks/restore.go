package runbooks

// RestoreRequest is one host's restore. Tag is unique per rollback, host
// and attempt; providers label what they create with it (images' volumes,
// disks, tasks) so FindRestore recovers a request whose handle was lost.
type RestoreRequest struct {
	Tag      string     `json:"tag"`
	Rollback string     `json:"rollback"`
	Tenant   string     `json:"tenant"`
	Env      string     `json:"env"`
	Host     Host       `json:"host"`
	Backup   HostBackup `json:"backup"`
}

// RestoreStatus is where one host's restore stands. Handle and Step name
// the step now running (a provider sends the next step from a poll once
// the previous one finished, and answers its handle, which the engine
// stores before it polls again).
type RestoreStatus struct {
	Handle string
	Step   string
	Done   bool
	// Failed says why the restore cannot go on (the host is left as Step
	// says: the evidence names the step, never "half-swapped" silently).
	Failed string
	// Manual is a method of procedure for a person, where no API restores
	// in place (an RDS endpoint move, an Arc server).
	Manual []string
	Source string
}
