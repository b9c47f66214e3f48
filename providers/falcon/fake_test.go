package falcon

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeFalcon speaks the documented shapes of the Falcon endpoints this
// package calls: /oauth2/token, the devices-scroll query, device details v2
// and the combined sensor-update kernels query.
type fakeFalcon struct {
	t   *testing.T
	now time.Time // the test clock's time, for rate-limit epochs

	mu          sync.Mutex
	devices     []fakeDevice
	kernels     []fakeKernel
	token       string            // issued access token
	secret      string            // the only client secret accepted
	throttle    map[string]int    // path → 429s still to send
	spend       map[string]bool   // path → answer with a spent window (remaining 0)
	fail        map[string]string // path → 403 body
	unavailable map[string]int    // path → 503s still to send
	calls       map[string]int    // path → requests
	scrollLimit []int64           // limit of every scroll request
	detailSizes []int             // ids per details request
	filters     []string          // every FQL filter seen
	updates     map[string]fakeUpdatePolicy
}

type fakeDevice struct {
	ID, Hostname, InstanceID, Account string
	Agent, Kernel, RFM, LastSeen      string
	Platform, OSVersion               string
	Groups                            []string
	Prevention, SensorUpdate          string // policy IDs; "" is prev-1 and su-1
}

// fakeUpdatePolicy is a sensor-update policy: the version it targets.
type fakeUpdatePolicy struct {
	Version string
	Enabled bool
}

type fakeKernel struct {
	Distro, Release string
	Base, ZTL       []string
}

func newFake(t *testing.T, now time.Time) (*fakeFalcon, *httptest.Server) {
	t.Helper()
	f := &fakeFalcon{t: t, now: now, token: "tok-Q9fakeBearer", secret: "s3cr3t-client-secret",
		throttle: map[string]int{}, spend: map[string]bool{}, fail: map[string]string{}, calls: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth2/token", f.oauthToken)
	mux.HandleFunc("GET /devices/queries/devices-scroll/v1", f.api(f.scroll))
	mux.HandleFunc("POST /devices/entities/devices/v2", f.api(f.details))
	mux.HandleFunc("GET /policy/combined/sensor-update-kernels/v1", f.api(f.kernelsQuery))
	mux.HandleFunc("GET /policy/entities/sensor-update/v2", f.api(f.updatePolicies))
	srv := httptest.NewTLSServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeFalcon) oauthToken(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.calls[r.URL.Path]++
	f.mu.Unlock()
	id, secret, ok := r.BasicAuth()
	if !ok {
		_ = r.ParseForm()
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	if id == "" || secret != f.secret {
		// A careless server echoing the request: the client must not repeat it.
		writeJSON(w, http.StatusUnauthorized, map[string]any{"errors": []map[string]any{
			{"code": 401, "message": "access denied for client_secret=" + secret}}})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"access_token": f.token, "token_type": "bearer", "expires_in": 1799})
}

// api checks the bearer token, counts the call and applies injected 429s.
func (f *fakeFalcon) api(h func(http.ResponseWriter, *http.Request)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		path := r.URL.Path
		f.calls[path]++
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			f.mu.Unlock()
			writeJSON(w, http.StatusUnauthorized, meta(nil))
			return
		}
		retryAfter := strconv.FormatInt(f.now.Add(3*time.Second).Unix(), 10)
		if f.throttle[path] > 0 {
			f.throttle[path]--
			f.mu.Unlock()
			w.Header().Set("X-Ratelimit-Limit", "6000")
			w.Header().Set("X-Ratelimit-Remaining", "0")
			w.Header().Set("X-Ratelimit-Retryafter", retryAfter)
			writeJSON(w, http.StatusTooManyRequests, meta(nil))
			return
		}
		if f.unavailable[path] > 0 {
			f.unavailable[path]--
			f.mu.Unlock()
			writeJSON(w, http.StatusServiceUnavailable, meta(nil))
			return
		}
		if body, ok := f.fail[path]; ok {
			f.mu.Unlock()
			writeJSON(w, http.StatusForbidden, map[string]any{"errors": []map[string]any{{"code": 403,
				"message": strings.ReplaceAll(body, "$AUTH", r.Header.Get("Authorization"))}}, "meta": map[string]any{}})
			return
		}
		w.Header().Set("X-Ratelimit-Limit", "6000")
		if f.spend[path] {
			delete(f.spend, path)
			w.Header().Set("X-Ratelimit-Remaining", "0")
			w.Header().Set("X-Ratelimit-Retryafter", retryAfter)
		} else {
			w.Header().Set("X-Ratelimit-Remaining", "5999")
		}
		f.mu.Unlock()
		h(w, r)
	}
}

// fqlRE parses the filters this package sends: field:['a','b'].
var fqlRE = regexp.MustCompile(`^(\w+):\[(.*)\]$`)

func (f *fakeFalcon) parseFilter(filter string) (string, []string) {
	m := fqlRE.FindStringSubmatch(filter)
	if m == nil {
		f.t.Errorf("unexpected FQL filter %q", filter)
		return "", nil
	}
	var vals []string
	for _, v := range strings.Split(m[2], ",") {
		vals = append(vals, strings.Trim(v, "'"))
	}
	return m[1], vals
}

func (f *fakeFalcon) scroll(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.ParseInt(q.Get("limit"), 10, 64)
	if limit < 1 || limit > 10000 {
		writeJSON(w, http.StatusBadRequest, meta(nil))
		return
	}
	field, vals := f.parseFilter(q.Get("filter"))
	f.mu.Lock()
	f.scrollLimit = append(f.scrollLimit, limit)
	f.filters = append(f.filters, q.Get("filter"))
	var ids []string
	for _, d := range f.devices {
		v := map[string]string{"instance_id": d.InstanceID, "hostname": strings.ToLower(d.Hostname)}[field]
		if v != "" && slices.Contains(vals, v) {
			ids = append(ids, d.ID)
		}
	}
	f.mu.Unlock()
	start := 0
	if off := q.Get("offset"); off != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(off, "scroll-"))
		if err != nil {
			writeJSON(w, http.StatusBadRequest, meta(nil))
			return
		}
		start = n
	}
	end := min(start+int(limit), len(ids))
	next := ""
	if end < len(ids) {
		next = "scroll-" + strconv.Itoa(end)
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"meta":      map[string]any{"query_time": 0.01, "trace_id": "t", "pagination": map[string]any{"offset": next, "limit": limit, "total": len(ids), "expires_at": 0}},
		"resources": ids[start:end], "errors": []any{},
	})
}

func (f *fakeFalcon) details(w http.ResponseWriter, r *http.Request) {
	var body struct {
		IDs []string `json:"ids"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.IDs) == 0 || len(body.IDs) > 5000 {
		writeJSON(w, http.StatusBadRequest, meta(nil))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.detailSizes = append(f.detailSizes, len(body.IDs))
	var res []map[string]any
	for _, d := range f.devices {
		if !slices.Contains(body.IDs, d.ID) {
			continue
		}
		prev, upd := cmp.Or(d.Prevention, "prev-1"), cmp.Or(d.SensorUpdate, "su-1")
		groups := d.Groups
		if groups == nil {
			groups = []string{}
		}
		res = append(res, map[string]any{
			"groups": groups, "device_id": d.ID, "cid": "cid1", "hostname": d.Hostname, "agent_version": d.Agent,
			"kernel_version": d.Kernel, "reduced_functionality_mode": d.RFM, "last_seen": d.LastSeen,
			"instance_id": d.InstanceID, "service_provider": "AWS_EC2_V2", "service_provider_account_id": d.Account,
			"platform_name": d.Platform, "os_version": d.OSVersion, "status": "normal",
			"device_policies": map[string]any{
				"prevention":    map[string]any{"policy_type": "prevention", "policy_id": prev, "applied": true, "applied_date": "2026-11-01T10:00:00.000Z"},
				"sensor_update": map[string]any{"policy_type": "sensor-update", "policy_id": upd, "applied": true},
			},
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{"meta": map[string]any{"query_time": 0.01, "trace_id": "t"}, "resources": res, "errors": []any{}})
}

func (f *fakeFalcon) kernelsQuery(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit, _ := strconv.Atoi(q.Get("limit"))
	offset, _ := strconv.Atoi(q.Get("offset"))
	if limit < 1 || limit > 500 {
		writeJSON(w, http.StatusBadRequest, meta(nil))
		return
	}
	field, vals := f.parseFilter(q.Get("filter"))
	if field != "release" {
		f.t.Errorf("kernels filtered by %q", field)
	}
	f.mu.Lock()
	var res []map[string]any
	for i, k := range f.kernels {
		if slices.Contains(vals, k.Release) {
			res = append(res, map[string]any{
				"id": fmt.Sprintf("k%d", i), "vendor": "rhel", "distro": k.Distro, "distro_version": "", "flavor": "",
				"release": k.Release, "architecture": "x86_64", "version": "#1 SMP",
				"base_package_supported_sensor_versions": k.Base, "ztl_supported_sensor_versions": k.ZTL,
				"ztl_module_supported_sensor_versions": []string{},
				"created_timestamp":                    "2026-10-01T00:00:00Z", "modified_timestamp": "2026-10-01T00:00:00Z",
			})
		}
	}
	f.mu.Unlock()
	total := len(res)
	end := min(offset+limit, total)
	writeJSON(w, http.StatusOK, map[string]any{
		"meta":      map[string]any{"query_time": 0.01, "trace_id": "t", "pagination": map[string]any{"offset": offset, "limit": limit, "total": total}},
		"resources": res[min(offset, total):end], "errors": []any{},
	})
}

// updatePolicies answers GET /policy/entities/sensor-update/v2?ids=… in
// the shape of gofalcon's models.SensorUpdateRespV2 (SensorUpdatePolicyV2,
// SensorUpdateSettingsRespV2); unknown IDs answer 404 with the rest.
func (f *fakeFalcon) updatePolicies(w http.ResponseWriter, r *http.Request) {
	ids := r.URL.Query()["ids"]
	if len(ids) == 0 || len(ids) > 100 {
		writeJSON(w, http.StatusBadRequest, meta(nil))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	res := []map[string]any{}
	for _, id := range ids {
		p, ok := f.updates[id]
		if !ok {
			continue
		}
		res = append(res, map[string]any{
			"id": id, "cid": "cid1", "name": "policy " + id, "description": "", "platform_name": "Linux", "enabled": p.Enabled,
			"created_by": "admin", "created_timestamp": "2026-01-01T00:00:00Z", "modified_by": "admin", "modified_timestamp": "2026-11-01T00:00:00Z",
			"groups": []any{},
			"settings": map[string]any{"build": "19113|n-1|tagged|17", "sensor_version": p.Version, "stage": "prod",
				"show_early_adopter_builds": false, "uninstall_protection": "ENABLED", "variants": []any{}},
		})
	}
	code := http.StatusOK
	if len(res) < len(ids) {
		code = http.StatusNotFound
	}
	writeJSON(w, code, map[string]any{"meta": map[string]any{"query_time": 0.01, "trace_id": "t"}, "resources": res, "errors": []any{}})
}

func meta(errs []any) map[string]any {
	return map[string]any{"meta": map[string]any{"query_time": 0.01, "trace_id": "t"}, "errors": errs, "resources": []any{}}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// sleeps records the waits the rate limiter asked for, without waiting.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.d = append(s.d, d)
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.d)
}
