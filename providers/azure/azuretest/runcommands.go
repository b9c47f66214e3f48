package azuretest

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"
)

// RunCommand is one managed run command on a VM
// (Microsoft.Compute/virtualMachines/runCommands, api-version 2026-04-01):
// what was PUT, and where its script stands. Like ARM, the fake keeps the
// protectedParameters but never writes them into a response.
type RunCommand struct {
	Name, Location string
	Tags           map[string]string
	// Body is the PUT request body as sent.
	Body map[string]any
	// Protected are the protectedParameters' values by name.
	Protected map[string]string
	// State is the instance view's executionState; it moves Pending →
	// Running → Succeeded (or Failed, see FailRunCommand) one instance-view
	// read at a time, so tests never wait on a clock.
	State    string
	ExitCode int
	Error    string
	reads    int
}

// runCommandFailure is what a VM's run commands end with (FailRunCommand).
type runCommandFailure struct {
	exit int
	err  string
}

// FailRunCommand makes every run command on VM id end Failed with exit
// code and stderr, as a script that could not install does.
func (s *Server) FailRunCommand(id string, exit int, stderr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.runFails == nil {
		s.runFails = map[string]runCommandFailure{}
	}
	s.runFails[strings.ToLower(id)] = runCommandFailure{exit, stderr}
}

// RunCommands returns the run commands on VM id by name.
func (s *Server) RunCommands(id string) map[string]RunCommand {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]RunCommand{}
	for k, rc := range s.runCmds {
		if vm, name, ok := strings.Cut(k, "|"); ok && vm == strings.ToLower(id) {
			out[name] = *rc
		}
	}
	return out
}

// runCommandRoute serves PUT and GET on .../virtualMachines/{vm}/runCommands/{name}.
func (s *Server) runCommandRoute(w http.ResponseWriter, r *http.Request, v *VM, seg []string) {
	if len(seg) != 1 {
		armError(w, http.StatusNotFound, "InvalidResourceType", "unknown path "+r.URL.Path)
		return
	}
	if s.runCmds == nil {
		s.runCmds = map[string]*RunCommand{}
	}
	key := strings.ToLower(v.ID()) + "|" + seg[0]
	switch r.Method {
	case http.MethodPut:
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			armError(w, http.StatusBadRequest, "InvalidRequestContent", "the request content is not valid JSON")
			return
		}
		loc, _ := body["location"].(string)
		props, _ := body["properties"].(map[string]any)
		if loc == "" || props == nil || props["source"] == nil {
			armError(w, http.StatusBadRequest, "InvalidParameter", "location and properties.source are required")
			return
		}
		rc := &RunCommand{Name: seg[0], Location: loc, Body: body, Protected: map[string]string{}, Tags: map[string]string{}, State: "Pending"}
		if ps, ok := props["protectedParameters"].([]any); ok {
			for _, p := range ps {
				m, _ := p.(map[string]any)
				n, _ := m["name"].(string)
				val, _ := m["value"].(string)
				rc.Protected[n] = val
			}
		}
		if ts, ok := body["tags"].(map[string]any); ok {
			for k, t := range ts {
				rc.Tags[k], _ = t.(string)
			}
		}
		_, existed := s.runCmds[key]
		s.runCmds[key] = rc
		status := http.StatusCreated
		if existed {
			status = http.StatusOK
		}
		writeJSON(w, status, runCommandJSON(v, rc, false))
	case http.MethodGet:
		rc, ok := s.runCmds[key]
		if !ok {
			armError(w, http.StatusNotFound, "ResourceNotFound", "The Resource 'Microsoft.Compute/virtualMachines/"+v.Name+"/runCommands/"+seg[0]+"' under resource group '"+v.ResourceGroup+"' was not found.")
			return
		}
		expand := strings.EqualFold(r.URL.Query().Get("$expand"), "instanceView")
		if expand {
			s.runScript(v, rc)
		}
		writeJSON(w, http.StatusOK, runCommandJSON(v, rc, expand))
	default:
		armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method)
	}
}

// runScript moves the script on by one instance-view read.
func (s *Server) runScript(v *VM, rc *RunCommand) {
	rc.reads++
	switch {
	case rc.State != "Pending" && rc.State != "Running":
	case rc.reads == 1:
		rc.State = "Running"
	default:
		rc.State = "Succeeded"
		if f, ok := s.runFails[strings.ToLower(v.ID())]; ok {
			rc.State, rc.ExitCode, rc.Error = "Failed", f.exit, f.err
		}
		if s.OnRunCommandDone != nil {
			s.OnRunCommandDone(v.ID(), rc.State)
		}
	}
}

func runCommandJSON(v *VM, rc *RunCommand, instanceView bool) map[string]any {
	props := map[string]any{"provisioningState": "Succeeded"}
	if body, ok := rc.Body["properties"].(map[string]any); ok {
		for k, val := range body {
			if k != "protectedParameters" { // never returned
				props[k] = val
			}
		}
	}
	if instanceView {
		iv := map[string]any{"executionState": rc.State, "exitCode": rc.ExitCode, "output": "", "error": rc.Error,
			"executionMessage": ""}
		if rc.State == "Failed" {
			iv["executionMessage"] = "Execution completed with errors"
		}
		if rc.reads > 0 {
			iv["startTime"] = time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC).Format(time.RFC3339)
		}
		props["instanceView"] = iv
	}
	return map[string]any{"id": v.ID() + "/runCommands/" + rc.Name, "name": rc.Name,
		"type": "Microsoft.Compute/virtualMachines/runCommands", "location": rc.Location, "tags": rc.Tags, "properties": props}
}
