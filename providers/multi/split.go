package multi

import (
	"encoding/json"
	"fmt"
	"sync"

	"github.com/patchgate/patchgate/runbooks"
)

// syncMap serialises writes into maps filled by concurrent per-cloud calls.
type syncMap struct{ mu sync.Mutex }

func (s *syncMap) do(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// split divides a request by the cloud of its hosts; the tag stays the same
// in every part, so each provider finds its own part again by it.
func (r *Router) split(req runbooks.OpRequest) (map[runbooks.Cloud]runbooks.OpRequest, error) {
	parts := map[runbooks.Cloud]runbooks.OpRequest{}
	for _, h := range req.Hosts {
		if _, err := r.cloud(h.Cloud); err != nil {
			return nil, err
		}
		p, ok := parts[h.Cloud]
		if !ok {
			p = req
			p.Hosts = nil
		}
		p.Hosts = append(p.Hosts, h)
		parts[h.Cloud] = p
	}
	return parts, nil
}

// handle is the router's handle for an operation: each cloud's own handle.
// It is stored by the engine, so its shape is versioned.
type handle struct {
	V     int                       `json:"v"`
	Parts map[runbooks.Cloud]string `json:"parts"`
}

func encodeHandle(parts map[runbooks.Cloud]string) string {
	b, _ := json.Marshal(handle{V: 1, Parts: parts})
	return string(b)
}

func decodeHandle(s string) (map[runbooks.Cloud]string, error) {
	var h handle
	if err := json.Unmarshal([]byte(s), &h); err != nil || h.V != 1 || len(h.Parts) == 0 {
		return nil, fmt.Errorf("not a multi-cloud operation handle: %.60q", s)
	}
	return h.Parts, nil
}
