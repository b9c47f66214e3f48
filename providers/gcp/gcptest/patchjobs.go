package gcptest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func (s *Server) osconfigRoutes(mux *http.ServeMux) {
	s.handle(mux, "osconfig.inventories.list", "GET /v1/projects/{project}/locations/{location}/instances/{instance}/inventories", s.listInventories)
	s.handle(mux, "osconfig.vulnerabilityReports.list", "GET /v1/projects/{project}/locations/{location}/instances/{instance}/vulnerabilityReports", s.listVulnerabilityReports)
	s.handle(mux, "osconfig.patchJobs.execute", "POST /v1/projects/{project}/patchJobs:execute", s.executePatchJob)
	s.handle(mux, "osconfig.patchJobs.list", "GET /v1/projects/{project}/patchJobs", s.listPatchJobs)
	s.handle(mux, "osconfig.patchJobs.get", "GET /v1/projects/{project}/patchJobs/{id}", s.getPatchJob)
	s.handle(mux, "osconfig.patchJobs.instanceDetails.list", "GET /v1/projects/{project}/patchJobs/{id}/instanceDetails", s.listInstanceDetails)
	s.osPolicyRoutes(mux)
}

// patchJob is one executed job; it ends on its JobPolls-th read.
type patchJob struct {
	name, project     string
	body              map[string]json.RawMessage
	created, updated  time.Time
	polls             int
	targets           []*Instance
	final             map[*Instance]string // end state per instance, once ended
	state             string
	displayName, desc string
}

type instanceFilter struct {
	All         bool `json:"all"`
	GroupLabels []struct {
		Labels map[string]string `json:"labels"`
	} `json:"groupLabels"`
	Zones                []string `json:"zones"`
	Instances            []string `json:"instances"`
	InstanceNamePrefixes []string `json:"instanceNamePrefixes"`
}

func (s *Server) executePatchJob(w http.ResponseWriter, r *http.Request) {
	project := r.PathValue("project")
	raw, _ := io.ReadAll(r.Body)
	s.executed = append(s.executed, raw)
	var body map[string]json.RawMessage
	var f instanceFilter
	if err := json.Unmarshal(raw, &body); err != nil || json.Unmarshal(body["instanceFilter"], &f) != nil {
		apiError(w, 400, "invalid ExecutePatchJobRequest")
		return
	}
	targets, err := s.resolve(project, f)
	if err != nil {
		apiError(w, 400, err.Error())
		return
	}
	var display, desc string
	json.Unmarshal(body["displayName"], &display)
	json.Unmarshal(body["description"], &desc)
	j := &patchJob{name: fmt.Sprintf("projects/%s/patchJobs/%d", ProjectNumber(project), s.id()), project: project,
		body: body, created: s.now(), updated: s.now(), targets: targets, state: "STARTED", displayName: display, desc: desc}
	s.jobs = append(s.jobs, j)
	writeJSON(w, s.jobJSON(j))
}

// advance moves a job on by one read and, on its last, settles every
// instance: no agent report → NO_AGENT_DETECTED, PatchFailure → FAILED,
// otherwise SUCCEEDED with its updates installed and a fresh inventory.
func (s *Server) advance(j *patchJob) {
	if j.final != nil {
		return
	}
	j.polls++
	j.updated = s.now()
	switch {
	case j.polls == 1:
		j.state = "INSTANCE_LOOKUP"
		return
	case j.polls < s.JobPolls:
		j.state = "PATCHING"
		return
	}
	j.final = map[*Instance]string{}
	j.state = "SUCCEEDED"
	for _, in := range j.targets {
		switch {
		case in.OS == nil:
			j.final[in] = "NO_AGENT_DETECTED"
		case in.PatchFailure != "":
			j.final[in] = "FAILED"
		default:
			j.final[in] = "SUCCEEDED"
			install, keep := updates(in.Available, exclusivePackages(j.body))
			for _, p := range install {
				if strings.HasPrefix(p.Name, "linux-image-") {
					in.OS.KernelRelease = strings.TrimPrefix(p.Name, "linux-image-")
				}
			}
			in.Available = keep
			in.Reported = j.updated.Add(time.Second)
		}
		if j.final[in] != "SUCCEEDED" {
			j.state = "COMPLETED_WITH_ERRORS"
		}
	}
}

// instanceState is where one instance of the job is now.
func (j *patchJob) instanceState(in *Instance) string {
	switch {
	case j.final != nil:
		return j.final[in]
	case j.polls <= 1:
		return "PENDING"
	}
	return "APPLYING_PATCHES"
}

func (s *Server) jobJSON(j *patchJob) map[string]any {
	counts := map[string]int{}
	for _, in := range j.targets {
		counts[j.instanceState(in)]++
	}
	key := map[string]string{"PENDING": "pendingInstanceCount", "APPLYING_PATCHES": "applyingPatchesInstanceCount",
		"SUCCEEDED": "succeededInstanceCount", "FAILED": "failedInstanceCount", "NO_AGENT_DETECTED": "noAgentDetectedInstanceCount"}
	summary := map[string]string{}
	for st, n := range counts {
		summary[key[st]] = strconv.Itoa(n) // int64 fields travel as strings
	}
	pct := 0.0
	if j.final != nil {
		pct = 100
	} else if j.polls > 1 {
		pct = 50
	}
	m := map[string]any{"name": j.name, "displayName": j.displayName, "description": j.desc,
		"createTime": stamp(j.created), "updateTime": stamp(j.updated), "state": j.state,
		"instanceDetailsSummary": summary, "percentComplete": pct}
	for _, k := range []string{"instanceFilter", "patchConfig", "rollout", "duration", "dryRun"} {
		if v, ok := j.body[k]; ok {
			m[k] = v
		}
	}
	if j.state == "COMPLETED_WITH_ERRORS" {
		m["errorMessage"] = "Patch job completed with errors on some instances"
	}
	return m
}

func (s *Server) job(r *http.Request) *patchJob {
	name := "projects/" + r.PathValue("project") + "/patchJobs/" + r.PathValue("id")
	for _, j := range s.jobs {
		if j.name == name || (sameProject(r.PathValue("project"), j.project) && strings.HasSuffix(j.name, "/"+r.PathValue("id"))) {
			return j
		}
	}
	return nil
}

func (s *Server) getPatchJob(w http.ResponseWriter, r *http.Request) {
	j := s.job(r)
	if j == nil {
		apiError(w, 404, "Resource not found: patch job "+r.PathValue("id"))
		return
	}
	s.advance(j)
	writeJSON(w, s.jobJSON(j))
}

func (s *Server) listPatchJobs(w http.ResponseWriter, r *http.Request) {
	var all []*patchJob
	for _, j := range s.jobs {
		if sameProject(r.PathValue("project"), j.project) {
			all = append(all, j)
		}
	}
	items, next := page(s, r, all)
	out := []any{}
	for _, j := range items {
		out = append(out, s.jobJSON(j))
	}
	writeJSON(w, map[string]any{"patchJobs": out, "nextPageToken": next})
}

func (s *Server) listInstanceDetails(w http.ResponseWriter, r *http.Request) {
	j := s.job(r)
	if j == nil {
		apiError(w, 404, "Resource not found: patch job "+r.PathValue("id"))
		return
	}
	items, next := page(s, r, j.targets)
	out := []any{}
	for _, in := range items {
		d := map[string]any{"name": fmt.Sprintf("projects/%s/zones/%s/instances/%s", in.Project, in.Zone, in.Name),
			"instanceSystemId": strconv.FormatUint(in.ID, 10), "state": j.instanceState(in), "attemptCount": "1"}
		if j.instanceState(in) == "FAILED" {
			d["failureReason"] = in.PatchFailure
		}
		if j.instanceState(in) == "NO_AGENT_DETECTED" {
			d["failureReason"] = "The OS Config agent was not detected on this VM"
		}
		out = append(out, d)
	}
	writeJSON(w, map[string]any{"patchJobInstanceDetails": out, "nextPageToken": next})
}
