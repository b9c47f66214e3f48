package awstest

import (
	"fmt"
	"time"
)

// Invocation is the outcome the fake reports for one instance of every
// command sent to it (default Success).
type Invocation struct {
	Status string // Pending, InProgress, Success, Failed, TimedOut, Cancelled
	Stderr string
}

type command struct {
	ID, Comment, Document string
	Params                map[string][]string
	InstanceIDs           []string
	MaxConcurrency        string
	MaxErrors             string
	At                    time.Time
}

// SetInvocation fixes the outcome of commands on instance id.
func (s *Server) SetInvocation(id string, inv Invocation) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.invocations == nil {
		s.invocations = map[string]Invocation{}
	}
	s.invocations[id] = inv
}

// Commands is how many commands were sent to the fake (not upstream).
func (s *Server) Commands() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.commands)
}

func (s *Server) sendCommand(in map[string]any) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := command{ID: fmt.Sprintf("cmd-%04d", len(s.commands)+1), InstanceIDs: strs(in["InstanceIds"]), At: time.Now().UTC()}
	c.Comment, _ = in["Comment"].(string)
	c.Document, _ = in["DocumentName"].(string)
	c.MaxConcurrency, _ = in["MaxConcurrency"].(string)
	c.MaxErrors, _ = in["MaxErrors"].(string)
	c.Params = map[string][]string{}
	if ps, ok := in["Parameters"].(map[string]any); ok {
		for k, v := range ps {
			c.Params[k] = strs(v)
		}
	}
	s.commands = append(s.commands, c)
	return map[string]any{"Command": commandJSON(c)}
}

func commandJSON(c command) map[string]any {
	return map[string]any{"CommandId": c.ID, "Comment": c.Comment, "DocumentName": c.Document, "InstanceIds": c.InstanceIDs,
		"Parameters": c.Params, "MaxConcurrency": c.MaxConcurrency, "MaxErrors": c.MaxErrors,
		"RequestedDateTime": float64(c.At.Unix()), "Status": "InProgress"}
}

func (s *Server) listCommands(in map[string]any) any {
	doc := ""
	fs, _ := in["Filters"].([]any)
	for _, f := range fs {
		if m, _ := f.(map[string]any); m["key"] == "DocumentName" {
			doc, _ = m["value"].(string)
		}
	}
	s.mu.Lock()
	var list []map[string]any
	for _, c := range s.commands {
		if doc == "" || c.Document == doc {
			list = append(list, commandJSON(c))
		}
	}
	s.mu.Unlock()
	items, next := page(in, list, 50)
	out := map[string]any{"Commands": items}
	if next != "" {
		out["NextToken"] = next
	}
	return out
}

func (s *Server) getCommandInvocation(in map[string]any) (any, *apiError) {
	id, _ := in["CommandId"].(string)
	inst, _ := in["InstanceId"].(string)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.commands {
		if c.ID != id {
			continue
		}
		for _, i := range c.InstanceIDs {
			if i != inst {
				continue
			}
			inv, ok := s.invocations[inst]
			if !ok {
				inv = Invocation{Status: "Success"}
			}
			return map[string]any{"CommandId": id, "InstanceId": inst, "Comment": c.Comment, "DocumentName": c.Document,
				"Status": inv.Status, "StatusDetails": inv.Status, "StandardErrorContent": inv.Stderr}, nil
		}
	}
	return nil, &apiError{"InvocationDoesNotExist", "no invocation of " + id + " on " + inst}
}
