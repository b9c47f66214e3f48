package gcptest

import (
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
)

// ProjectNumber is the fake's number for a project ID; OS Config names
// resources by number.
func ProjectNumber(project string) string {
	h := fnv.New32a()
	h.Write([]byte(project))
	return strconv.FormatUint(100000000000+uint64(h.Sum32()), 10)
}

// sameProject accepts a project by ID or number, as OS Config does.
func sameProject(path, project string) bool {
	return path == project || path == ProjectNumber(project)
}

func (s *Server) listInventories(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("instance") != "-" {
		apiError(w, 400, "the fake lists inventories of all instances (instances/-) only")
		return
	}
	full := r.URL.Query().Get("view") == "FULL"
	var all []*Instance
	for _, in := range s.instances {
		if sameProject(r.PathValue("project"), in.Project) && in.Zone == r.PathValue("location") && in.OS != nil {
			all = append(all, in)
		}
	}
	items, next := page(s, r, all)
	out := []any{}
	for _, in := range items {
		out = append(out, inventoryJSON(in, full))
	}
	writeJSON(w, map[string]any{"inventories": out, "nextPageToken": next})
}

// inventoryJSON is an OS Config Inventory; the BASIC view has no items.
func inventoryJSON(in *Instance, full bool) map[string]any {
	m := map[string]any{
		"name": fmt.Sprintf("projects/%s/locations/%s/instances/%d/inventory", ProjectNumber(in.Project), in.Zone, in.ID),
		"osInfo": map[string]any{"hostname": in.Name, "shortName": in.OS.ShortName, "version": in.OS.Version,
			"longName": in.OS.ShortName + " " + in.OS.Version, "architecture": "x86_64",
			"kernelRelease": in.OS.KernelRelease, "kernelVersion": "#1 SMP", "osconfigAgentVersion": "20250101.00"},
		"updateTime": stamp(in.Reported),
	}
	if !full {
		return m
	}
	items := map[string]any{}
	for i, p := range in.Available {
		id := fmt.Sprintf("available-%d-%s", i, p.Name)
		items[id] = map[string]any{"id": id, "originType": "INVENTORY_REPORT", "type": "AVAILABLE_PACKAGE",
			"createTime": stamp(in.Reported), "updateTime": stamp(in.Reported),
			"availablePackage": map[string]any{p.Manager + "Package": map[string]string{
				"packageName": p.Name, "version": p.Version, "architecture": p.Arch}}}
	}
	items["installed-kernel"] = map[string]any{"id": "installed-kernel", "originType": "INVENTORY_REPORT", "type": "INSTALLED_PACKAGE",
		"createTime": stamp(in.Reported), "updateTime": stamp(in.Reported),
		"installedPackage": map[string]any{"aptPackage": map[string]string{"packageName": "linux-image-" + in.OS.KernelRelease, "version": in.OS.KernelRelease, "architecture": "amd64"}}}
	m["items"] = items
	return m
}
