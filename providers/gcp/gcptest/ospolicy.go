package gcptest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// OS policy assignments (osconfig v1 projects.locations.osPolicyAssignments)
// and their per-VM reports, in the documented shapes. The fake plays each
// VM's agent: the first reports.list of an assignment finds its VMs'
// policies pending, every later one finds them applied, once per VM and
// assignment: a VM selected by the inclusion labels whose OS short name
// matches a resource group runs that group's exec resource (PolicyFailure
// fails its enforce step); a stopped VM or one without an agent is
// UNKNOWN, and a VM no resource group matches, or whose group's
// interpreter its OS lacks, is NON_COMPLIANT with the step's message.

func (s *Server) osPolicyRoutes(mux *http.ServeMux) {
	const base = "/v1/projects/{project}/locations/{location}"
	s.handle(mux, "osconfig.osPolicyAssignments.create", "POST "+base+"/osPolicyAssignments", s.createAssignment)
	s.handle(mux, "osconfig.osPolicyAssignments.get", "GET "+base+"/osPolicyAssignments/{id}", s.getAssignment)
	s.handle(mux, "osconfig.osPolicyAssignments.delete", "DELETE "+base+"/osPolicyAssignments/{id}", s.deleteAssignment)
	s.handle(mux, "osconfig.osPolicyAssignmentReports.list", "GET "+base+"/instances/{instance}/osPolicyAssignments/{id}/reports", s.listAssignmentReports)
}

// assignment is one OS policy assignment of the fake.
type assignment struct {
	project, zone, id string
	body              osPolicyAssignment
	raw               json.RawMessage
	created           time.Time
	reads             int                // reports.list calls so far
	applied           map[*Instance]bool // VMs whose agent applied it
	reports           map[*Instance]map[string]any
}

// osPolicyAssignment is the part of the request the fake checks and acts on.
type osPolicyAssignment struct {
	Description    string `json:"description"`
	InstanceFilter *struct {
		All             bool `json:"all"`
		InclusionLabels []struct {
			Labels map[string]string `json:"labels"`
		} `json:"inclusionLabels"`
	} `json:"instanceFilter"`
	OsPolicies []struct {
		ID             string `json:"id"`
		Mode           string `json:"mode"`
		ResourceGroups []struct {
			InventoryFilters []struct {
				OsShortName string `json:"osShortName"`
			} `json:"inventoryFilters"`
			Resources []policyResource `json:"resources"`
		} `json:"resourceGroups"`
	} `json:"osPolicies"`
	Rollout *struct {
		DisruptionBudget *struct {
			Fixed   int `json:"fixed"`
			Percent int `json:"percent"`
		} `json:"disruptionBudget"`
		MinWaitDuration string `json:"minWaitDuration"`
	} `json:"rollout"`
}

type policyResource struct {
	ID   string `json:"id"`
	Exec *struct {
		Validate *execStep `json:"validate"`
		Enforce  *execStep `json:"enforce"`
	} `json:"exec"`
	File *struct {
		Path  string `json:"path"`
		State string `json:"state"`
		File  *struct {
			Gcs *struct {
				Bucket, Object string
				Generation     string `json:"generation"`
			} `json:"gcs"`
			LocalPath string `json:"localPath"`
		} `json:"file"`
	} `json:"file"`
}

type execStep struct {
	Interpreter string `json:"interpreter"`
	Script      string `json:"script"`
	File        any    `json:"file"`
}

var assignmentIDRE = regexp.MustCompile(`^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$`)

// Assignments are the bodies of every accepted create, in order.
func (s *Server) Assignments() []json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []json.RawMessage
	for _, a := range s.assignmentLog {
		out = append(out, a.raw)
	}
	return out
}

// LiveAssignments is how many assignments exist (created, not deleted).
func (s *Server) LiveAssignments() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.assignments)
}

func (s *Server) createAssignment(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("osPolicyAssignmentId")
	if !assignmentIDRE.MatchString(id) {
		apiError(w, 400, fmt.Sprintf("osPolicyAssignmentId %q: must be 1-63 lowercase letters, digits or hyphens, start with a letter, end with a letter or digit", id))
		return
	}
	raw, _ := io.ReadAll(r.Body)
	var body osPolicyAssignment
	if err := json.Unmarshal(raw, &body); err != nil {
		apiError(w, 400, "invalid OSPolicyAssignment: "+err.Error())
		return
	}
	if msg := checkAssignment(body); msg != "" {
		apiError(w, 400, msg)
		return
	}
	key := s.assignmentKey(r.PathValue("project"), r.PathValue("location"), id)
	if _, ok := s.assignments[key]; ok {
		apiError(w, 409, "OS policy assignment "+id+" already exists")
		return
	}
	a := &assignment{project: projectID(s, r.PathValue("project")), zone: r.PathValue("location"), id: id, body: body, raw: raw,
		created: s.now(), applied: map[*Instance]bool{}, reports: map[*Instance]map[string]any{}}
	s.assignments[key] = a
	s.assignmentLog = append(s.assignmentLog, a)
	writeJSON(w, s.assignmentOp(a, "CREATE"))
}

// checkAssignment holds a create to the fields the API documents as
// required.
func checkAssignment(b osPolicyAssignment) string {
	if b.InstanceFilter == nil || (!b.InstanceFilter.All && len(b.InstanceFilter.InclusionLabels) == 0) {
		return "instanceFilter is required"
	}
	if b.Rollout == nil || b.Rollout.DisruptionBudget == nil || b.Rollout.MinWaitDuration == "" {
		return "rollout.disruptionBudget and rollout.minWaitDuration are required"
	}
	if len(b.OsPolicies) == 0 {
		return "osPolicies is required"
	}
	for _, p := range b.OsPolicies {
		if p.ID == "" || (p.Mode != "VALIDATION" && p.Mode != "ENFORCEMENT") || len(p.ResourceGroups) == 0 {
			return "each OS policy needs an id, a mode and resource groups"
		}
		for _, g := range p.ResourceGroups {
			ids := map[string]bool{}
			for _, res := range g.Resources {
				if res.ID == "" || ids[res.ID] {
					return "resource ids must be set and unique in a policy"
				}
				ids[res.ID] = true
				if res.Exec != nil && (res.Exec.Validate == nil || (res.Exec.Validate.Script == "" && res.Exec.Validate.File == nil) || res.Exec.Validate.Interpreter == "") {
					return "exec resource " + res.ID + ": validate with an interpreter and a script or file is required"
				}
				if res.File != nil && (res.File.Path == "" || res.File.State == "") {
					return "file resource " + res.ID + ": path and state are required"
				}
			}
		}
	}
	return ""
}

func (s *Server) assignmentKey(project, zone, id string) string {
	return projectID(s, project) + "/" + zone + "/" + id
}

// projectID is the project a path names by ID or number.
func projectID(s *Server, p string) string {
	for _, in := range s.instances {
		if sameProject(p, in.Project) {
			return in.Project
		}
	}
	return p
}

func (a *assignment) name() string {
	return fmt.Sprintf("projects/%s/locations/%s/osPolicyAssignments/%s", ProjectNumber(a.project), a.zone, a.id)
}

func (s *Server) assignmentOp(a *assignment, method string) map[string]any {
	return map[string]any{
		"name": a.name() + "/operations/op-" + strconv.FormatUint(s.id(), 10),
		"metadata": map[string]any{"@type": "type.googleapis.com/google.cloud.osconfig.v1.OSPolicyAssignmentOperationMetadata",
			"osPolicyAssignment": a.name() + "@rev1", "apiMethod": method, "rolloutState": "IN_PROGRESS",
			"rolloutStartTime": stamp(s.now()), "rolloutUpdateTime": stamp(s.now())},
		"done": false,
	}
}

func (s *Server) getAssignment(w http.ResponseWriter, r *http.Request) {
	a := s.assignments[s.assignmentKey(r.PathValue("project"), r.PathValue("location"), r.PathValue("id"))]
	if a == nil {
		apiError(w, 404, "Resource not found: OS policy assignment "+r.PathValue("id"))
		return
	}
	var m map[string]any
	json.Unmarshal(a.raw, &m)
	state := "IN_PROGRESS"
	if a.reads > 1 {
		state = "SUCCEEDED"
	}
	for k, v := range map[string]any{"name": a.name(), "revisionId": "rev1", "revisionCreateTime": stamp(a.created),
		"rolloutState": state, "reconciling": state == "IN_PROGRESS", "baseline": state == "SUCCEEDED",
		"uid": "uid-" + a.id, "etag": "etag-1"} {
		m[k] = v
	}
	writeJSON(w, m)
}

func (s *Server) deleteAssignment(w http.ResponseWriter, r *http.Request) {
	key := s.assignmentKey(r.PathValue("project"), r.PathValue("location"), r.PathValue("id"))
	a := s.assignments[key]
	if a == nil {
		apiError(w, 404, "Resource not found: OS policy assignment "+r.PathValue("id"))
		return
	}
	delete(s.assignments, key)
	writeJSON(w, s.assignmentOp(a, "DELETE"))
}

func (s *Server) listAssignmentReports(w http.ResponseWriter, r *http.Request) {
	if r.PathValue("instance") != "-" {
		apiError(w, 400, "the fake lists an assignment's reports across all instances (instances/-) only")
		return
	}
	a := s.assignments[s.assignmentKey(r.PathValue("project"), r.PathValue("location"), r.PathValue("id"))]
	if a == nil {
		apiError(w, 404, "Resource not found: OS policy assignment "+r.PathValue("id"))
		return
	}
	if r.URL.Query().Get("pageToken") == "" {
		a.reads++
	}
	var reps []map[string]any
	for _, in := range s.instances {
		if in.Project != a.project || in.Zone != a.zone || !a.selects(in) {
			continue
		}
		reps = append(reps, s.report(a, in))
	}
	items, next := page(s, r, reps)
	writeJSON(w, map[string]any{"osPolicyAssignmentReports": items, "nextPageToken": next})
}

func (a *assignment) selects(in *Instance) bool {
	if a.body.InstanceFilter.All {
		return true
	}
	for _, set := range a.body.InstanceFilter.InclusionLabels {
		ok := true
		for k, v := range set.Labels {
			ok = ok && in.Labels[k] == v
		}
		if ok {
			return true
		}
	}
	return false
}

// report is the VM's report: pending on the assignment's first read,
// applied (once) after.
func (s *Server) report(a *assignment, in *Instance) map[string]any {
	rep := a.reports[in]
	if rep == nil {
		rep = map[string]any{
			"name":               fmt.Sprintf("projects/%s/locations/%s/instances/%d/osPolicyAssignments/%s/report", ProjectNumber(a.project), a.zone, in.ID, a.id),
			"instance":           in.Name,
			"osPolicyAssignment": a.name() + "@rev1",
			"updateTime":         stamp(s.now()),
		}
		var cs []map[string]any
		for _, p := range a.body.OsPolicies {
			cs = append(cs, map[string]any{"osPolicyId": p.ID, "complianceState": "UNKNOWN", "complianceStateReason": "os-policy-execution-pending"})
		}
		rep["osPolicyCompliances"] = cs
		if a.reads <= 1 {
			return rep
		}
		rep["lastRunId"] = fmt.Sprintf("run-%d", s.id())
		rep["osPolicyCompliances"] = s.apply(a, in)
		a.reports[in] = rep
	}
	return rep
}

// apply runs the assignment's policies on the VM the way its agent does.
func (s *Server) apply(a *assignment, in *Instance) []map[string]any {
	var out []map[string]any
	for _, p := range a.body.OsPolicies {
		c := map[string]any{"osPolicyId": p.ID}
		out = append(out, c)
		switch {
		case in.Status != "RUNNING":
			c["complianceState"], c["complianceStateReason"] = "UNKNOWN", "vm-not-running"
			continue
		case in.OS == nil:
			c["complianceState"], c["complianceStateReason"] = "UNKNOWN", "no-agent-detected"
			continue
		}
		group := -1
		for i, g := range p.ResourceGroups {
			for _, f := range g.InventoryFilters {
				if f.OsShortName == in.OS.ShortName {
					group = i
				}
			}
		}
		if group < 0 {
			c["complianceState"] = "NON_COMPLIANT"
			c["osPolicyResourceCompliances"] = []map[string]any{{"osPolicyResourceId": "", "complianceState": "NON_COMPLIANT",
				"configSteps": []map[string]any{{"type": "VALIDATION", "errorMessage": "no resource group matches OS short name " + in.OS.ShortName}}}}
			continue
		}
		state := "COMPLIANT"
		var rcs []map[string]any
		for _, res := range p.ResourceGroups[group].Resources {
			rc := map[string]any{"osPolicyResourceId": res.ID, "complianceState": "COMPLIANT",
				"configSteps": []map[string]any{{"type": "VALIDATION"}, {"type": "DESIRED_STATE_CHECK"}}}
			if state != "COMPLIANT" {
				rc["complianceState"], rc["complianceStateReason"], rc["configSteps"] = "UNKNOWN", "execution-skipped-by-agent", []map[string]any{}
			} else if res.Exec != nil {
				if msg := interpreterFault(in, res); msg != "" {
					rc["complianceState"], state = "NON_COMPLIANT", "NON_COMPLIANT"
					rc["configSteps"] = []map[string]any{{"type": "VALIDATION", "errorMessage": msg}}
				} else if !a.applied[in] {
					a.applied[in] = true
					in.Installs++
					steps := []map[string]any{{"type": "VALIDATION"}, {"type": "DESIRED_STATE_CHECK"}, {"type": "DESIRED_STATE_ENFORCEMENT"}}
					if in.PolicyFailure != "" {
						steps[2]["errorMessage"] = in.PolicyFailure
						rc["complianceState"], state = "NON_COMPLIANT", "NON_COMPLIANT"
					} else {
						steps = append(steps, map[string]any{"type": "DESIRED_STATE_CHECK_POST_ENFORCEMENT"})
					}
					rc["configSteps"] = steps
				}
			}
			rcs = append(rcs, rc)
		}
		c["complianceState"], c["osPolicyResourceCompliances"] = state, rcs
	}
	return out
}

// interpreterFault is the agent's complaint about a script its OS cannot
// run: PowerShell on Linux, a shell on Windows.
func interpreterFault(in *Instance, res policyResource) string {
	windows := strings.Contains(in.OS.ShortName, "windows")
	for _, st := range []*execStep{res.Exec.Validate, res.Exec.Enforce} {
		if st == nil {
			continue
		}
		if (st.Interpreter == "POWERSHELL" && !windows) || (st.Interpreter == "SHELL" && windows) {
			return fmt.Sprintf("exec %s: interpreter %s is not available on %s", res.ID, st.Interpreter, in.OS.ShortName)
		}
	}
	return ""
}
