package runbooks

import (
	"fmt"
	"strings"
)

// Made counts what a backup made, by kind: an AWS backup of four instances
// and one database is "4 images, 1 database snapshot", not five hosts.
type Made struct {
	Images             int `json:"images,omitempty"`
	DBSnapshots        int `json:"db_snapshots,omitempty"`
	DBClusterSnapshots int `json:"db_cluster_snapshots,omitempty"`
	DiskSnapshots      int `json:"disk_snapshots,omitempty"`
}

// Plus adds two counts (one per cloud of a multi-cloud backup).
func (m Made) Plus(o Made) Made {
	return Made{m.Images + o.Images, m.DBSnapshots + o.DBSnapshots,
		m.DBClusterSnapshots + o.DBClusterSnapshots, m.DiskSnapshots + o.DiskSnapshots}
}

// Total is the number of things made.
func (m Made) Total() int {
	return m.Images + m.DBSnapshots + m.DBClusterSnapshots + m.DiskSnapshots
}

// String names each kind with its count, "" when nothing was counted.
func (m Made) String() string {
	var parts []string
	for _, k := range []struct {
		n    int
		name string
	}{
		{m.Images, "image"},
		{m.DBSnapshots, "database snapshot"},
		{m.DBClusterSnapshots, "database cluster snapshot"},
		{m.DiskSnapshots, "disk snapshot"},
	} {
		if k.n == 1 {
			parts = append(parts, "1 "+k.name)
		} else if k.n > 1 {
			parts = append(parts, fmt.Sprintf("%d %ss", k.n, k.name))
		}
	}
	return strings.Join(parts, ", ")
}
