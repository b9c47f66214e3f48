package azuretest

import (
	"net/http"
	"strings"
	"time"
)

const hybridAPI = "2024-07-10"

func (s *Server) arcRoute(w http.ResponseWriter, r *http.Request, sub, rg string, seg []string) {
	if len(seg) == 0 && r.Method == http.MethodGet {
		s.listArcs(w, r, sub, rg)
		return
	}
	if len(seg) == 0 {
		armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method)
		return
	}
	a, ok := s.arcs["/subscriptions/"+sub+"/resourcegroups/"+rg+"/providers/microsoft.hybridcompute/machines/"+seg[0]]
	if !ok {
		armError(w, http.StatusNotFound, "ResourceNotFound", "The Resource 'Microsoft.HybridCompute/machines/"+seg[0]+"' under resource group '"+rg+"' was not found.")
		return
	}
	action := ""
	if len(seg) > 1 {
		action = seg[1]
	}
	switch {
	case action == "" && r.Method == http.MethodGet:
		writeJSON(w, http.StatusOK, arcJSON(a))
	case action == "installpatches" && r.Method == http.MethodPost:
		s.installArc(w, r, a)
	case action == "assesspatches" && r.Method == http.MethodPost:
		s.assessArc(w, a)
	case action == "extensions":
		s.extensionRoute(w, r, a, seg[2:])
	default:
		armError(w, http.StatusNotFound, "InvalidResourceType", "unknown path "+r.URL.Path)
	}
}

// listArcs serves machines by subscription or resource group, paged.
func (s *Server) listArcs(w http.ResponseWriter, r *http.Request, sub, rg string) {
	var items []any
	for _, k := range sortedKeys(s.arcs) {
		if inScope(k, sub, rg) {
			items = append(items, arcJSON(s.arcs[k]))
		}
	}
	s.page(w, r, items)
}

func arcJSON(a *Arc) map[string]any {
	props := map[string]any{
		"status": a.Status, "osName": a.OSName, "osSku": a.OSSKU, "osVersion": a.OSVersion, "osType": a.OSType,
		"agentVersion": a.AgentVersion, "provisioningState": "Succeeded",
	}
	if !a.LastStatusChange.IsZero() {
		props["lastStatusChange"] = a.LastStatusChange.UTC().Format(time.RFC3339)
	}
	return map[string]any{
		"id": a.ID(), "name": a.Name, "type": "Microsoft.HybridCompute/machines", "location": a.Location,
		"kind": "", "tags": tagsJSON(a.Tags), "properties": props,
	}
}

func (s *Server) installArc(w http.ResponseWriter, r *http.Request, a *Arc) {
	var body map[string]any
	if err := decodeBody(r, &body); err != nil {
		armError(w, http.StatusBadRequest, "InvalidRequestContent", err.Error())
		return
	}
	if _, ok := body["maximumDuration"]; !ok {
		armError(w, http.StatusBadRequest, "InvalidParameter", "maximumDuration is required")
		return
	}
	s.installs[strings.ToLower(a.ID())] = append(s.installs[strings.ToLower(a.ID())], body)
	o, started := a.Install, time.Now().UTC()
	if a.Status != "Connected" && o.OpError == "" {
		o.OpError = disconnected(a)
	}
	s.startOp(w, &op{
		style: "location", needed: o.Polls, errMsg: o.OpError, kind: "installPatches", target: a.ID(),
		finish: func() { a.CriticalAndSecurity = o.Remaining },
		result: func() any {
			res := installResult(o, started)
			if e, ok := res["error"]; ok { // Arc names the field errorDetails
				delete(res, "error")
				res["errorDetails"] = e
			}
			res["osType"] = a.OSType
			return res
		},
	}, a.Subscription, "Microsoft.HybridCompute", a.Location, hybridAPI)
}

func (s *Server) assessArc(w http.ResponseWriter, a *Arc) {
	started := time.Now().UTC()
	errMsg := ""
	if a.Status != "Connected" {
		errMsg = disconnected(a)
	}
	s.startOp(w, &op{
		style: "location", kind: "assessPatches", target: a.ID(), errMsg: errMsg,
		result: func() any {
			return map[string]any{
				"status": "Succeeded", "assessmentActivityId": "assess-" + started.Format("150405.000"),
				"startDateTime": started.Format(time.RFC3339), "osType": a.OSType,
				"availablePatchCountByClassification": map[string]any{"critical": a.CriticalAndSecurity, "security": 0, "other": 0},
			}
		},
	}, a.Subscription, "Microsoft.HybridCompute", a.Location, hybridAPI)
}

// disconnected is the failure an operation on an unreachable Arc machine
// ends with: ARM accepts it, the agent never picks it up.
func disconnected(a *Arc) string {
	return "the Connected Machine agent of " + a.Name + " is " + a.Status + "; the operation could not run"
}
