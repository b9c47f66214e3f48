package gcptest

import "encoding/json"

// exclusivePackages are the packages a job's patch step is narrowed to
// (patchConfig.apt/yum.exclusivePackages); nil when it updates everything.
func exclusivePackages(body map[string]json.RawMessage) map[string]bool {
	var pc struct {
		Apt struct {
			ExclusivePackages []string `json:"exclusivePackages"`
		} `json:"apt"`
		Yum struct {
			ExclusivePackages []string `json:"exclusivePackages"`
		} `json:"yum"`
	}
	if json.Unmarshal(body["patchConfig"], &pc) != nil {
		return nil
	}
	var out map[string]bool
	for _, p := range append(pc.Apt.ExclusivePackages, pc.Yum.ExclusivePackages...) {
		if out == nil {
			out = map[string]bool{}
		}
		out[p] = true
	}
	return out
}

// updates splits a VM's available updates into those the job installs and
// those it leaves.
func updates(avail []Package, only map[string]bool) (install, keep []Package) {
	for _, p := range avail {
		if only == nil || only[p.Name] {
			install = append(install, p)
		} else {
			keep = append(keep, p)
		}
	}
	return install, keep
}
