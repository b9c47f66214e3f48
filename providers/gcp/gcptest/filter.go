package gcptest

import (
	"fmt"
	"strings"
)

// resolve applies an instance filter the way OS Config does: all, or
// instances matching every given criterion kind.
func (s *Server) resolve(project string, f instanceFilter) ([]*Instance, error) {
	if !f.All && len(f.GroupLabels) == 0 && len(f.Zones) == 0 && len(f.Instances) == 0 && len(f.InstanceNamePrefixes) == 0 {
		return nil, fmt.Errorf("instanceFilter must target something")
	}
	var out []*Instance
	for _, in := range s.instances {
		if in.Project == project && (f.All || s.filtered(in, f)) {
			out = append(out, in)
		}
	}
	return out, nil
}

func (s *Server) filtered(in *Instance, f instanceFilter) bool {
	if len(f.Instances) > 0 {
		hit := false
		for _, uri := range f.Instances {
			uri = strings.TrimPrefix(uri, "https://www.googleapis.com/compute/v1/")
			if uri == "zones/"+in.Zone+"/instances/"+in.Name || uri == "projects/"+in.Project+"/zones/"+in.Zone+"/instances/"+in.Name {
				hit = true
			}
		}
		if !hit {
			return false
		}
	}
	if len(f.Zones) > 0 && !contains(f.Zones, in.Zone) {
		return false
	}
	if len(f.InstanceNamePrefixes) > 0 {
		hit := false
		for _, p := range f.InstanceNamePrefixes {
			hit = hit || strings.HasPrefix(in.Name, p)
		}
		if !hit {
			return false
		}
	}
	if len(f.GroupLabels) > 0 {
		hit := false
		for _, g := range f.GroupLabels {
			all := true
			for k, v := range g.Labels {
				all = all && in.Labels[k] == v
			}
			hit = hit || all
		}
		return hit
	}
	return true
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
