package azuretest

import (
	"fmt"
	"net/http"
)

// op is one long-running operation. It finishes after a fixed number of
// status polls rather than after a time, so tests never wait on a clock.
type op struct {
	id     string
	style  string // "async": Azure-AsyncOperation + Location (Compute); "location": Location only (HybridCompute)
	polls  int
	needed int
	done   bool
	errMsg string     // the operation failed with this message
	result func() any // the final body, computed when the operation finishes
	finish func()     // applies the operation's effect to the fake's state
	output any        // result() once done
	kind   string     // e.g. installPatches, for messages
	target string     // resource ID
	// ended, when set, decides instead of the poll count: the operation
	// is done once ended says so, failed with its message if any (an
	// extension's PUT ends when its handler does).
	ended func() (bool, string)
}

// startOp registers an operation and answers 202 with its polling headers.
// Compute answers with Azure-AsyncOperation plus a Location for the final
// result; HybridCompute with a Location only (its operations are
// final-state-via location).
func (s *Server) startOp(w http.ResponseWriter, o *op, sub, provider, location, apiVersion string) {
	s.nextOp++
	o.id = fmt.Sprintf("op-%04d", s.nextOp)
	if o.needed <= 0 {
		o.needed = 2
	}
	s.ops[o.id] = o
	base := fmt.Sprintf("%s/subscriptions/%s/providers/%s/locations/%s", s.URL, sub, provider, location)
	if o.style == "async" {
		url := fmt.Sprintf("%s/operations/%s?api-version=%s", base, o.id, apiVersion)
		w.Header().Set("Azure-AsyncOperation", url)
		w.Header().Set("Location", url+"&monitor=true")
	} else {
		w.Header().Set("Location", fmt.Sprintf("%s/operationResults/%s?api-version=%s", base, o.id, apiVersion))
	}
	w.WriteHeader(http.StatusAccepted)
}

// advance moves an unfinished operation on by one poll, applying its
// effect when it finishes.
func (s *Server) advance(o *op) {
	if o.done {
		return
	}
	o.polls++
	if o.ended != nil {
		o.needed = o.polls + 1
		if done, msg := o.ended(); done {
			o.needed, o.errMsg = o.polls, msg
		}
	}
	if o.polls >= o.needed {
		o.done = true
		if o.errMsg == "" && o.finish != nil {
			o.finish()
		}
		if o.errMsg == "" && o.result != nil {
			o.output = o.result()
		}
	}
}

// runOps moves every unfinished operation on (see OpsRunAlone).
func (s *Server) runOps() {
	for _, o := range s.ops {
		s.advance(o)
	}
}

// pollOp answers a poll of an operation: the Azure-AsyncOperation status
// document, or on a Location URL 202 until done and then the result.
func (s *Server) pollOp(w http.ResponseWriter, r *http.Request, id string) {
	o, ok := s.ops[id]
	if !ok {
		armError(w, http.StatusNotFound, "OperationNotFound", "no operation "+id)
		return
	}
	s.advance(o)
	statusDoc := o.style == "async" && r.URL.Query().Get("monitor") == ""
	switch {
	case statusDoc && !o.done:
		writeJSON(w, http.StatusOK, map[string]any{"name": o.id, "status": "InProgress"})
	case statusDoc && o.errMsg != "":
		writeJSON(w, http.StatusOK, map[string]any{"name": o.id, "status": "Failed",
			"error": map[string]any{"code": "OperationFailed", "message": o.errMsg}})
	case statusDoc:
		writeJSON(w, http.StatusOK, map[string]any{"name": o.id, "status": "Succeeded", "properties": map[string]any{"output": o.output}})
	case !o.done:
		w.Header().Set("Location", s.URL+r.URL.RequestURI())
		w.WriteHeader(http.StatusAccepted)
	case o.errMsg != "":
		armError(w, http.StatusBadRequest, "OperationFailed", o.errMsg)
	default:
		writeJSON(w, http.StatusOK, o.output)
	}
}
