package azure

import (
	"encoding/json"
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
)

// handle is what StartBackup and StartPatch return and the engine stores:
// JSON, so it survives a restart and reads plainly in the audit trail.
type handle struct {
	Kind    string  `json:"kind"` // "snapshots" or "installPatches"
	Tag     string  `json:"tag"`
	Entries []entry `json:"machines"`
}

// entry is one machine's part of an operation.
type entry struct {
	Host string `json:"host"` // the machine's resource ID (Host.ID)
	Name string `json:"name"`
	// Snapshot is the snapshot's resource ID (backups).
	Snapshot string `json:"snapshot,omitempty"`
	// Token is the installPatches poller's resume token (patches), itself
	// a JSON document, kept as such rather than escaped into a string.
	Token json.RawMessage `json:"token,omitempty"`
	// Skip says why no operation is needed; Fail why it could not start
	// or what it ended with, known already when the handle was made.
	Skip string `json:"skip,omitempty"`
	Fail string `json:"fail,omitempty"`
	Done bool   `json:"done,omitempty"` // finished before the handle was made
}

const (
	kindSnapshots = "snapshots"
	kindInstall   = "installPatches"
)

func (h handle) encode() (string, error) {
	b, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("encode %s handle: %w", h.Kind, err)
	}
	return string(b), nil
}

func decodeHandle(s, kind string) (handle, error) {
	var h handle
	if err := json.Unmarshal([]byte(s), &h); err != nil {
		return h, fmt.Errorf("azure %s handle: %w", kind, err)
	}
	if h.Kind != kind {
		return h, fmt.Errorf("azure handle is for %q, not %q", h.Kind, kind)
	}
	return h, nil
}

// azureHosts keeps the request's Azure hosts (a mixed-cloud request carries
// others, which are not this provider's).
func azureHosts(hosts []runbooks.Host) []runbooks.Host {
	var out []runbooks.Host
	for _, h := range hosts {
		if h.Cloud == runbooks.Azure {
			out = append(out, h)
		}
	}
	return out
}

// tally adds one machine's state to an OpStatus.
func tally(st *runbooks.OpStatus, e entry, done bool, fail string) {
	switch {
	case fail != "":
		st.Failed++
		st.Findings = append(st.Findings, runbooks.Finding{HostID: e.Host, HostName: e.Name, Reason: fail})
	case done:
		st.Succeeded++
	}
}
