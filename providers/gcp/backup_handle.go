package gcp

import (
	"encoding/json"
	"fmt"
	"strings"
)

// A backup handle lists the snapshots one StartBackup asked for, so a
// restarted engine polls exactly those: "gcp-snapshots:" + JSON.
type backupHandle struct {
	Tag   string     `json:"tag"`
	Items []snapItem `json:"snaps"`
}

// snapItem is one host's boot-disk snapshot.
type snapItem struct {
	Project  string `json:"p"`
	Zone     string `json:"z"`
	HostID   string `json:"h"`
	HostName string `json:"n"`
	Snapshot string `json:"s"`
	Op       string `json:"o,omitempty"` // zone operation of createSnapshot; empty when found by label
	Err      string `json:"e,omitempty"` // why no snapshot could be requested
}

const backupPrefix = "gcp-snapshots:"

func (h backupHandle) String() string {
	b, _ := json.Marshal(h)
	return backupPrefix + string(b)
}

func parseBackupHandle(s string) (backupHandle, error) {
	var h backupHandle
	body, ok := strings.CutPrefix(s, backupPrefix)
	if !ok {
		return h, fmt.Errorf("backup handle %.40q is not a GCP snapshot handle", s)
	}
	if err := json.Unmarshal([]byte(body), &h); err != nil {
		return h, fmt.Errorf("backup handle %.40q: %w", s, err)
	}
	return h, nil
}
