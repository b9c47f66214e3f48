package awstest

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Instance is one machine as the fake knows it: in EC2 (of Account) and,
// when SSM is set, registered with Systems Manager.
type Instance struct {
	ID      string
	Account string
	Name    string
	Tags    map[string]string
	SSM     *Agent      // nil: EC2 knows it, SSM does not
	Patches *PatchState // nil: no patch state reported
}

// Agent is an instance's SSM registration.
type Agent struct {
	PingStatus      string // Online, ConnectionLost, Inactive
	AgentVersion    string
	PlatformName    string
	PlatformVersion string
}

// PatchState is what DescribeInstancePatchStates reports; MissingTitles
// are missing patches DescribeInstancePatches lists by title alone, and
// Patches are patches it lists with every documented field.
type PatchState struct {
	Missing, Failed, Installed int
	Operation                  string // Scan or Install
	End                        time.Time
	MissingTitles              []string
	Patches                    []Patch
}

// Patch is one PatchComplianceData entry of DescribeInstancePatches.
type Patch struct {
	Title, KBId, Classification, Severity string
	State                                 string // MISSING, FAILED, INSTALLED_PENDING_REBOOT, INSTALLED, …
	CVEIds                                string // comma-separated, as SSM sends it
	InstalledTime                         time.Time
}

// Baseline is a patch baseline the fake serves.
type Baseline struct {
	ID, OperatingSystem string
	Severities          []string
	Classifications     []string
	ApproveAfterDays    int
}

// Server is an httptest server speaking the SSM (awsJson1.1), EC2 (ec2
// query) and STS (query) protocols for the calls it implements; SSM calls it
// does not implement are proxied to Upstream (moto_server) when set. It
// implements SendCommand, ListCommands and GetCommandInvocation itself only
// without Upstream (outcomes set by SetInvocation). It tells accounts apart by the access key of the request's signature: the
// keys its AssumeRole hands out are "AKFAKE<account>".
type Server struct {
	URL string

	// Latency is added to every call; ThrottleRate (0..1) of SSM calls are
	// answered ThrottlingException, spread evenly and deterministically.
	Latency      time.Duration
	ThrottleRate float64
	Upstream     string
	// RejectUnknownIDs answers DescribeInstanceInformation InvalidInstanceId
	// when its InstanceIds filter names an instance SSM does not know.
	RejectUnknownIDs bool
	// DocumentedItems gives each instance of a DescribeInstances page every
	// member EC2's reference documents for one (about 3 KB each, as a real
	// page carries), not only what the inventory reads; set it before Add.
	DocumentedItems bool

	mu          sync.Mutex
	instances   []Instance
	wires       []*wire        // by index into instances, see wireOf
	byID        map[string]int // index into instances
	baselines   map[string]Baseline
	groups      map[string]string // patch group → baseline ID
	defaults    map[string]string // operating system → baseline ID
	calls       map[string]int
	commands    []command
	invocations map[string]Invocation
	externalIDs map[string]string // by account, from AssumeRole
	trust       map[string]string // by account: the only external ID AssumeRole accepts
	ssmCalls    atomic.Int64
	conns       atomic.Int64
	throttled   atomic.Int64
	proxy       *httputil.ReverseProxy
	ec2PageSize int
	config      configState
}

// NewServer starts a fake closed by t.Cleanup.
func NewServer(t testing.TB) *Server {
	s := &Server{byID: map[string]int{}, baselines: map[string]Baseline{}, groups: map[string]string{}, defaults: map[string]string{}, calls: map[string]int{}}
	hs := httptest.NewUnstartedServer(s)
	hs.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	hs.Start()
	t.Cleanup(hs.Close)
	s.URL = hs.URL
	return s
}

// SetEC2PageSize caps DescribeInstances pages below the caller's MaxResults.
func (s *Server) SetEC2PageSize(n int) { s.mu.Lock(); s.ec2PageSize = n; s.mu.Unlock() }

// Add registers instances; one with a known ID replaces it. The fake
// encodes its answers about an instance here (and in SetPatchState), so
// change an instance through them, not through the pointers it holds.
func (s *Server) Add(is ...Instance) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, in := range is {
		if i, ok := s.byID[in.ID]; ok {
			s.instances[i] = in
			s.encode(i)
			continue
		}
		s.byID[in.ID] = len(s.instances)
		s.instances = append(s.instances, in)
		s.encode(len(s.instances) - 1)
	}
}

// AddBaseline serves b, registered for patchGroup ("" registers it as the
// default baseline of its operating system).
func (s *Server) AddBaseline(b Baseline, patchGroup string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.baselines[b.ID] = b
	if patchGroup == "" {
		s.defaults[b.OperatingSystem] = b.ID
	} else {
		s.groups[patchGroup] = b.ID
	}
}

// SetPatchState replaces an instance's patch state.
func (s *Server) SetPatchState(id string, st *PatchState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.byID[id]; ok {
		s.instances[i].Patches = st
		s.encode(i)
	}
}

// Calls is how many calls of op ("ssm.DescribeInstanceInformation",
// "ec2.DescribeInstances", …) were answered, throttled ones included.
func (s *Server) Calls(op string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[op]
}

// Conns is how many connections clients have opened to the fake.
func (s *Server) Conns() int { return int(s.conns.Load()) }

// Throttled is how many SSM calls were answered ThrottlingException.
func (s *Server) Throttled() int { return int(s.throttled.Load()) }

func (s *Server) count(op string) {
	s.mu.Lock()
	s.calls[op]++
	s.mu.Unlock()
}

// ServeHTTP answers a call Latency after it arrived, however long the
// fake took to make the answer: a real endpoint's own work is inside its
// latency, and the fake's CPU (it shares the machine with the client it
// serves) must not add to the calls' round trips the way it would if the
// answer were only made after the wait.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.Latency <= 0 {
		s.answer(w, r)
		return
	}
	due := time.Now().Add(s.Latency)
	held := &heldAnswer{header: http.Header{}}
	s.answer(held, r)
	time.Sleep(time.Until(due))
	held.send(w)
}

// answer serves one call.
func (s *Server) answer(w http.ResponseWriter, r *http.Request) {
	if target := r.Header.Get("X-Amz-Target"); strings.HasPrefix(target, "AmazonSSM.") {
		s.serveSSM(w, r, strings.TrimPrefix(target, "AmazonSSM."))
		return
	} else if op, ok := strings.CutPrefix(target, "StarlingDoveService."); ok {
		s.serveConfig(w, r, op)
		return
	}
	body, _ := io.ReadAll(r.Body)
	form, _ := url.ParseQuery(string(body))
	switch a := form.Get("Action"); a {
	case "DescribeInstances":
		s.count("ec2." + a)
		s.describeInstances(w, r, form)
	case "AssumeRole", "GetCallerIdentity":
		s.count("sts." + a)
		s.serveSTS(w, r, a, form)
	default:
		http.Error(w, "awstest: unsupported action "+a, http.StatusNotImplemented)
	}
}

// account reads the caller's account from its SigV4 access key.
func account(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	key, _, _ := strings.Cut(cred, "/")
	if a, ok := strings.CutPrefix(key, "AKFAKE"); ok {
		return a
	}
	return ""
}

// upstream forwards an SSM call the fake does not implement.
func (s *Server) upstream(w http.ResponseWriter, r *http.Request) bool {
	if s.Upstream == "" {
		return false
	}
	s.mu.Lock()
	if s.proxy == nil {
		u, _ := url.Parse(s.Upstream)
		s.proxy = httputil.NewSingleHostReverseProxy(u)
	}
	p := s.proxy
	s.mu.Unlock()
	p.ServeHTTP(w, r)
	return true
}

// heldAnswer is an answer made but not yet sent (see ServeHTTP).
type heldAnswer struct {
	header http.Header
	status int
	body   []byte
}

func (h *heldAnswer) Header() http.Header { return h.header }

func (h *heldAnswer) WriteHeader(status int) {
	if h.status == 0 {
		h.status = status
	}
}

func (h *heldAnswer) Write(b []byte) (int, error) {
	h.WriteHeader(http.StatusOK)
	h.body = append(h.body, b...)
	return len(b), nil
}

func (h *heldAnswer) send(w http.ResponseWriter) {
	for k, v := range h.header {
		w.Header()[k] = v
	}
	w.WriteHeader(max(h.status, http.StatusOK))
	_, _ = w.Write(h.body)
}
