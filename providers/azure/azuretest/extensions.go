package azuretest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"
	"time"
)

// Extension is one machine extension on an Arc machine
// (Microsoft.HybridCompute/machines/extensions, api-version 2024-07-10):
// what was PUT and where its handler stands. Like ARM, the fake keeps the
// protectedSettings but answers every read with an empty object in their
// place.
type Extension struct {
	Name, Location, Publisher, Type, TypeHandlerVersion string
	Tags                                                map[string]string
	// Body is the PUT request body as sent.
	Body map[string]any
	// Settings and Protected are properties.settings and
	// properties.protectedSettings as sent.
	Settings, Protected map[string]any
	// State is properties.provisioningState: Creating, then Succeeded or
	// Failed one read of the extension later, so tests never wait on a
	// clock. Message is the instance view's status message.
	State, Message string
	reads          int
}

// extensionHandlers are the Custom Script handlers Arc-enabled servers
// run, by publisher/type, with the machine OS each is for.
var extensionHandlers = map[string]string{
	"microsoft.azure.extensions/customscript": "linux",
	"microsoft.compute/customscriptextension": "windows",
}

// FailExtension makes every extension on Arc machine id end Failed as a
// Custom Script whose command exited with exit and wrote stderr does.
func (s *Server) FailExtension(id string, exit int, stderr string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.extFails == nil {
		s.extFails = map[string]string{}
	}
	s.extFails[strings.ToLower(id)] = fmt.Sprintf("Enable failed: failed to execute command: command terminated with exit status=%d\n[stdout]\n\n[stderr]\n%s", exit, stderr)
}

// AddExtension puts an extension on Arc machine id as someone else did,
// already Succeeded.
func (s *Server) AddExtension(id string, e Extension) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e.State == "" {
		e.State = "Succeeded"
	}
	s.extensions()[strings.ToLower(id)+"|"+strings.ToLower(e.Name)] = &e
}

// Extensions returns the extensions on Arc machine id by name.
func (s *Server) Extensions(id string) map[string]Extension {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Extension{}
	for k, e := range s.extensions() {
		if m, _, ok := strings.Cut(k, "|"); ok && m == strings.ToLower(id) {
			out[e.Name] = *e
		}
	}
	return out
}

func (s *Server) extensions() map[string]*Extension {
	if s.arcExts == nil {
		s.arcExts = map[string]*Extension{}
	}
	return s.arcExts
}

// extensionRoute serves .../machines/{m}/extensions[/{name}]: list, GET,
// PUT (202 and a Location to poll) and DELETE (likewise).
func (s *Server) extensionRoute(w http.ResponseWriter, r *http.Request, a *Arc, seg []string) {
	prefix := strings.ToLower(a.ID()) + "|"
	if len(seg) == 0 && r.Method == http.MethodGet {
		var items []any
		for _, k := range sortedKeys(s.extensions()) {
			if strings.HasPrefix(k, prefix) {
				items = append(items, extensionJSON(a, s.arcExts[k]))
			}
		}
		s.page(w, r, items)
		return
	}
	if len(seg) != 1 {
		armError(w, http.StatusNotFound, "InvalidResourceType", "unknown path "+r.URL.Path)
		return
	}
	key := prefix + seg[0]
	e, exists := s.extensions()[key]
	switch r.Method {
	case http.MethodGet:
		if !exists {
			armError(w, http.StatusNotFound, "ResourceNotFound", "The Resource 'Microsoft.HybridCompute/machines/"+a.Name+"/extensions/"+seg[0]+"' under resource group '"+a.ResourceGroup+"' was not found.")
			return
		}
		s.runExtension(a, e)
		writeJSON(w, http.StatusOK, extensionJSON(a, e))
	case http.MethodPut:
		// The key is lower-case (ARM names are case-insensitive); the
		// extension keeps its name as sent.
		s.putExtension(w, r, a, key, path.Base(r.URL.Path))
	case http.MethodDelete:
		if !exists {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		s.startOp(w, &op{style: "location", kind: "deleteExtension", target: a.ID() + "/extensions/" + e.Name,
			finish: func() { delete(s.arcExts, key) }}, a.Subscription, "Microsoft.HybridCompute", a.Location, hybridAPI)
	default:
		armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", r.Method)
	}
}

func (s *Server) putExtension(w http.ResponseWriter, r *http.Request, a *Arc, key, name string) {
	raw, _ := io.ReadAll(r.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		armError(w, http.StatusBadRequest, "InvalidRequestContent", "the request content is not valid JSON")
		return
	}
	loc, _ := body["location"].(string)
	props, _ := body["properties"].(map[string]any)
	pub, _ := props["publisher"].(string)
	typ, _ := props["type"].(string)
	if loc == "" || pub == "" || typ == "" {
		armError(w, http.StatusBadRequest, "InvalidParameter", "location, properties.publisher and properties.type are required")
		return
	}
	handler := strings.ToLower(pub + "/" + typ)
	if _, ok := extensionHandlers[handler]; !ok {
		armError(w, http.StatusBadRequest, "ExtensionNotFound", "extension "+pub+"."+typ+" is not available in "+loc)
		return
	}
	// Arc, like Azure VMs, runs one extension per handler on a machine.
	for k, other := range s.extensions() {
		if k != key && strings.HasPrefix(k, strings.ToLower(a.ID())+"|") && strings.EqualFold(other.Publisher+"/"+other.Type, handler) {
			armError(w, http.StatusBadRequest, "BadRequest", fmt.Sprintf("Multiple extensions per handler not supported for OS type '%s'. Extension '%s' with handler '%s.%s' already added or specified in input.",
				a.OSType, other.Name, other.Publisher, other.Type))
			return
		}
	}
	e := &Extension{Name: name, Location: loc, Publisher: pub, Type: typ, Body: body, State: "Creating", Tags: map[string]string{}}
	e.TypeHandlerVersion, _ = props["typeHandlerVersion"].(string)
	e.Settings, _ = props["settings"].(map[string]any)
	e.Protected, _ = props["protectedSettings"].(map[string]any)
	if ts, ok := body["tags"].(map[string]any); ok {
		for k, t := range ts {
			e.Tags[k], _ = t.(string)
		}
	}
	s.extensions()[key] = e
	s.startOp(w, &op{style: "location", kind: "createExtension", target: a.ID() + "/extensions/" + name,
		ended: func() (bool, string) {
			s.runExtension(a, e)
			if e.State == "Failed" {
				return true, e.Message
			}
			return e.State != "Creating", ""
		},
		result: func() any { return extensionJSON(a, e) }}, a.Subscription, "Microsoft.HybridCompute", a.Location, hybridAPI)
}

// runExtension moves the handler on by one read of the extension: the
// second read finds it ended.
func (s *Server) runExtension(a *Arc, e *Extension) {
	if e.State != "Creating" {
		return
	}
	e.reads++
	if e.reads < 2 {
		return
	}
	e.State, e.Message = "Succeeded", "Enable succeeded: \n[stdout]\ninstalled\n\n[stderr]\n"
	switch {
	case a.Status != "Connected":
		e.State, e.Message = "Failed", disconnected(a)
	case extensionHandlers[strings.ToLower(e.Publisher+"/"+e.Type)] != strings.ToLower(a.OSType):
		e.State, e.Message = "Failed", "The handler for "+e.Publisher+"."+e.Type+" does not support OS type '"+a.OSType+"'."
	case s.extFails[strings.ToLower(a.ID())] != "":
		e.State, e.Message = "Failed", s.extFails[strings.ToLower(a.ID())]
	}
}

func extensionJSON(a *Arc, e *Extension) map[string]any {
	props := map[string]any{"publisher": e.Publisher, "type": e.Type, "typeHandlerVersion": e.TypeHandlerVersion,
		"autoUpgradeMinorVersion": false, "settings": e.Settings, "protectedSettings": map[string]any{}, "provisioningState": e.State}
	if e.Settings == nil {
		props["settings"] = map[string]any{}
	}
	if e.State != "Creating" {
		code, level, display := "success", "Information", "Provisioning succeeded"
		if e.State == "Failed" {
			code, level, display = "failed", "Error", "Provisioning failed"
		}
		props["instanceView"] = map[string]any{"name": e.Name, "type": e.Type, "typeHandlerVersion": e.TypeHandlerVersion,
			"status": map[string]any{"code": code, "level": level, "displayStatus": display, "message": e.Message,
				"time": time.Date(2026, 12, 6, 22, 0, 0, 0, time.UTC).Format(time.RFC3339)}}
	}
	return map[string]any{"id": a.ID() + "/extensions/" + e.Name, "name": e.Name, "type": "Microsoft.HybridCompute/machines/extensions",
		"location": e.Location, "tags": tagsJSON(e.Tags), "properties": props}
}
