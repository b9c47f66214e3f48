package sandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// tokenKind is which of the app's tokens a method accepts. Slack refuses a
// valid token of the wrong kind with not_allowed_token_type, which is how a
// bot that mixes up its xoxb and xapp tokens finds out.
type tokenKind int

const (
	botToken tokenKind = 1 << iota
	appToken
)

// apiRequest is one Web API call, its arguments merged from the query, a
// form body or a JSON body, whichever the client used.
type apiRequest struct {
	method string
	args   url.Values
	http   *http.Request
}

// apiError is a Slack error response: HTTP 200 with ok=false.
type apiError struct {
	code     string
	messages []string       // response_metadata.messages: why, for a human
	errors   []string       // per-field errors, as invalid_blocks carries
	extra    map[string]any // further top-level fields (missing_scope's needed and provided)
}

func (e *apiError) Error() string { return e.code }

func errCode(code string, why ...string) *apiError { return &apiError{code: code, messages: why} }

type apiHandler func(s *Server, r *apiRequest) (map[string]any, *apiError)

type apiMethod struct {
	tokens tokenKind
	handle apiHandler
}

// methods are the Web API methods the sandbox implements; anything else
// answers unknown_method, as Slack does for a misspelt method.
var methods = map[string]apiMethod{
	"auth.test":                    {botToken | appToken, (*Server).authTest},
	"apps.connections.open":        {appToken, (*Server).appsConnectionsOpen},
	"chat.postMessage":             {botToken, (*Server).chatPostMessage},
	"chat.update":                  {botToken, (*Server).chatUpdate},
	"chat.postEphemeral":           {botToken, (*Server).chatPostEphemeral},
	"files.getUploadURLExternal":   {botToken, (*Server).filesGetUploadURLExternal},
	"files.completeUploadExternal": {botToken, (*Server).filesCompleteUploadExternal},
	"users.info":                   {botToken, (*Server).usersInfo},
	"usergroups.users.list":        {botToken, (*Server).usergroupsUsersList},
	"conversations.info":           {botToken, (*Server).conversationsInfo},
	"views.open":                   {botToken, (*Server).viewsOpen},
}

func (s *Server) serveWebAPI(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("method")
	s.count(name)
	m, ok := methods[name]
	if !ok {
		writeJSON(w, http.StatusOK, errorBody(errCode("unknown_method")))
		return
	}
	if s.injectFault(w, name) {
		return
	}
	args, err := readArgs(r)
	if err != nil {
		writeJSON(w, http.StatusOK, errorBody(errCode("invalid_form_data", err.Error())))
		return
	}
	if e := s.authorize(r, args, m.tokens); e != nil {
		writeJSON(w, http.StatusOK, errorBody(e))
		return
	}
	if e := s.checkScopes(w, r, args, name); e != nil {
		writeJSON(w, http.StatusOK, errorBody(e))
		return
	}
	body, e := m.handle(s, &apiRequest{method: name, args: args, http: r})
	if e != nil {
		s.log.Debug("sandbox slack: web api error", "method", name, "error", e.code)
		writeJSON(w, http.StatusOK, errorBody(e))
		return
	}
	if body == nil {
		body = map[string]any{}
	}
	body["ok"] = true
	writeJSON(w, http.StatusOK, body)
}

// authorize checks the bearer header first and the "token" argument second:
// slack-go sends form methods with the token in the body and JSON methods
// with the header.
func (s *Server) authorize(r *http.Request, args url.Values, allowed tokenKind) *apiError {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" {
		tok = args.Get("token")
	}
	var kind tokenKind
	switch tok {
	case "":
		return errCode("not_authed")
	case s.opts.BotToken:
		kind = botToken
	case s.opts.AppToken:
		kind = appToken
	default:
		return errCode("invalid_auth")
	}
	if kind&allowed == 0 {
		return errCode("not_allowed_token_type")
	}
	return nil
}

// readArgs merges query parameters with the body. JSON bodies carry arrays
// and objects (blocks, files) as values; they are kept as their JSON text,
// which is what form-encoded clients send for the same arguments.
func readArgs(r *http.Request) (url.Values, error) {
	args := r.URL.Query()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		raw, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			return nil, fmt.Errorf("read body: %w", err)
		}
		if len(strings.TrimSpace(string(raw))) == 0 || string(raw) == "null" {
			return args, nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, fmt.Errorf("decode JSON body: %w", err)
		}
		for k, v := range obj {
			var str string
			if json.Unmarshal(v, &str) == nil {
				args.Set(k, str)
			} else {
				args.Set(k, string(v))
			}
		}
	case "multipart/form-data":
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return nil, fmt.Errorf("parse multipart body: %w", err)
		}
		for k, v := range r.MultipartForm.Value {
			args[k] = v
		}
	default:
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("parse form body: %w", err)
		}
		for k, v := range r.PostForm {
			args[k] = v
		}
	}
	return args, nil
}

func errorBody(e *apiError) map[string]any {
	body := map[string]any{"ok": false, "error": e.code}
	if len(e.messages) > 0 {
		body["response_metadata"] = map[string]any{"messages": e.messages}
	}
	if len(e.errors) > 0 {
		body["errors"] = e.errors
	}
	for k, v := range e.extra {
		body[k] = v
	}
	return body
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) count(method string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[method]++
}

// Calls returns how many times each Web API method was called (refused
// calls included), plus "upload" for POSTs to upload URLs.
func (s *Server) Calls() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		out[k] = v
	}
	return out
}
