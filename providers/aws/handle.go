package aws

import (
	"encoding/json"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// A handle is what the engine stores for a long operation: opaque to it,
// JSON here, holding every ID a poll needs so a restarted bot can poll
// without any memory of its own.
type handle struct {
	Kind    string      `json:"kind"` // "backup" or "patch"
	Tag     string      `json:"tag"`
	Started time.Time   `json:"started"`
	Parts   []opPart    `json:"parts"`
	Hosts   []hostLabel `json:"hosts,omitempty"` // names for findings
}

// opPart is the share of an operation in one account and region.
type opPart struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	// Backups: instance → image; database snapshots by kind.
	Images           map[string]string `json:"images,omitempty"`
	DBSnapshots      []string          `json:"db_snapshots,omitempty"`
	ClusterSnapshots []string          `json:"cluster_snapshots,omitempty"`
	// Patching: command ID → its instances.
	Commands map[string][]string `json:"commands,omitempty"`
}

type hostLabel struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

func (h handle) encode() string {
	b, err := json.Marshal(h)
	if err != nil {
		panic(err) // only strings, maps and times: cannot fail
	}
	return string(b)
}

func decodeHandle(s, kind string) (handle, error) {
	var h handle
	if err := json.Unmarshal([]byte(s), &h); err != nil || h.Kind != kind {
		return handle{}, runbooks.Errorf(runbooks.CodeInvalid, "not an AWS %s handle: %.60q", kind, s)
	}
	return h, nil
}

func (h handle) name(id string) string {
	for _, l := range h.Hosts {
		if l.ID == id {
			return l.Name
		}
	}
	return ""
}

func labels(hosts []runbooks.Host) []hostLabel {
	out := make([]hostLabel, len(hosts))
	for i, h := range hosts {
		out[i] = hostLabel{ID: h.ID, Name: h.Name}
	}
	return out
}

// scope groups the AWS hosts of a request by account and region, in a
// stable order, ignoring hosts of other clouds.
type scope struct {
	Account, Region string
	Hosts           []runbooks.Host
}

func scopes(hosts []runbooks.Host) []scope {
	var out []scope
	idx := map[string]int{}
	for _, h := range hosts {
		if h.Cloud != runbooks.AWS {
			continue
		}
		k := h.Account + "/" + h.Region
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, scope{Account: h.Account, Region: h.Region})
		}
		out[i].Hosts = append(out[i].Hosts, h)
	}
	return out
}

func awsHosts(hosts []runbooks.Host) []runbooks.Host {
	var out []runbooks.Host
	for _, h := range hosts {
		if h.Cloud == runbooks.AWS {
			out = append(out, h)
		}
	}
	return out
}
