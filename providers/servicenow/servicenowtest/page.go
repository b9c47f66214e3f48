package servicenowtest

import (
	"fmt"
	"html/template"
	"net/http"
	"sort"
)

// The fake's pages for people (the demo's sandbox links to them): the
// change form at /change_request.do?sys_id=… (the address a real
// instance's record link has) and the list of changes at /. They show what
// the API holds; a real instance's pages need a login, these do not.

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>{{.Title}} · fake ServiceNow</title>
<style>body{font-family:sans-serif;margin:2em;max-width:60em}th{text-align:left;vertical-align:top;padding-right:1em}
td{white-space:pre-wrap}.banner{background:#fde68a;padding:.5em 1em}</style></head><body>
<p class="banner">Simulated ServiceNow instance for the patchgate demo: not a real change management system.</p>
<h1>{{.Title}}</h1>
{{if .Rows}}<table>{{range .Rows}}<tr><th>{{index . 0}}</th><td>{{index . 1}}</td></tr>{{end}}</table>{{end}}
{{if .Links}}<ul>{{range .Links}}<li><a href="{{index . 0}}">{{index . 1}}</a></li>{{end}}</ul>{{end}}
</body></html>`))

type page struct {
	Title string
	Rows  [][2]string
	Links [][2]string
}

// servePage answers the two pages; false for any other path.
func (s *Server) servePage(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodGet || (r.URL.Path != "/" && r.URL.Path != "/change_request.do") {
		return false
	}
	s.mu.Lock()
	var p page
	if r.URL.Path == "/" {
		p.Title = "Change requests"
		for _, id := range s.order {
			rec := s.records[id]
			p.Links = append(p.Links, [2]string{"/change_request.do?sys_id=" + id,
				fmt.Sprintf("%s — %s — %s (approval %s)", rec["number"], rec["short_description"], states[rec["state"]], rec["approval"])})
		}
	} else if rec, ok := s.records[r.URL.Query().Get("sys_id")]; ok {
		p.Title = "Change " + rec["number"]
		keys := make([]string, 0, len(rec))
		for k := range rec {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := rec[k]
			switch k {
			case "state":
				v = states[v] + " (" + v + ")"
			case "approval":
				v = approvals[v]
			}
			p.Rows = append(p.Rows, [2]string{k, v})
		}
	} else {
		p.Title = "No such change"
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = pageTmpl.Execute(w, p)
	return true
}
