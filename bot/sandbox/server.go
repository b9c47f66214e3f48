package sandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Server is one sandbox workspace. All state lives in memory behind mu;
// websocket writes happen outside it, each socket serialising its own.
type Server struct {
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux

	mu      sync.Mutex
	baseURL string // learned from Start, Options.BaseURL or the first request
	clock   tsClock
	seq     int // for file ids, trigger ids and response_url paths
	closed  bool

	// workspace
	users      map[string]User
	channels   map[string]*channelState
	groups     map[string]Group
	ephemerals []*ephemeral
	files      map[string]*file
	fileOrder  []string

	// Web API bookkeeping
	calls  map[string]int
	faults map[string][]fault

	// interactivity
	responseURLs map[string]*responseTarget
	triggers     map[string]string // trigger_id → user; "" once it opened a view
	views        map[string]*View  // open modals by view ID

	// Socket Mode
	tickets   map[string]bool
	conns     []*socketConn // connections that receive envelopes
	allConns  map[*socketConn]bool
	connects  int
	rr        int // round-robin cursor over conns
	envelopes map[string]*envelope
	envOrder  []string
	queue     []*envelope // waiting for a connection
	acks      []Ack

	// change notification for the page's long poll
	version uint64
	changed chan struct{}

	httpSrv *http.Server
	wg      sync.WaitGroup // socket goroutines and delayed closes
	done    chan struct{}
}

// New builds a sandbox; it serves nothing until Start or Handler is used.
func New(opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{
		opts:         opts,
		log:          opts.Log,
		baseURL:      opts.BaseURL,
		clock:        tsClock{now: opts.Now},
		users:        map[string]User{},
		channels:     map[string]*channelState{},
		groups:       map[string]Group{},
		files:        map[string]*file{},
		calls:        map[string]int{},
		faults:       map[string][]fault{},
		responseURLs: map[string]*responseTarget{},
		tickets:      map[string]bool{},
		allConns:     map[*socketConn]bool{},
		envelopes:    map[string]*envelope{},
		changed:      make(chan struct{}),
		done:         make(chan struct{}),
	}
	for _, u := range opts.Users {
		s.users[u.ID] = u
	}
	for _, c := range opts.Channels {
		s.channels[c.ID] = &channelState{Channel: c}
	}
	for _, g := range opts.Groups {
		s.groups[g.ID] = g
	}
	s.mux = s.routes()
	return s
}

func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/api/{method}", s.serveWebAPI)
	m.HandleFunc("GET /link/", s.serveSocket)
	m.HandleFunc("POST /upload/v1/{id}", s.serveUpload)
	m.HandleFunc("POST /hooks/", s.serveResponseURL)
	m.HandleFunc("GET /files/{id}/{name}", s.serveFile)
	m.HandleFunc("GET /ui/state", s.serveUIState)
	m.HandleFunc("POST /ui/command", s.serveUICommand)
	m.HandleFunc("POST /ui/click", s.serveUIClick)
	m.Handle("GET /static/", http.FileServerFS(webFS))
	m.HandleFunc("GET /{$}", s.serveIndex)
	m.HandleFunc("GET /favicon.ico", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	return m
}

// Handler serves the whole sandbox: Web API under /api/, Socket Mode, the
// upload and response_url hooks, file downloads and the page at /.
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.learnURL(r)
		s.mux.ServeHTTP(w, r)
	})
}

// learnURL remembers where clients reach us when we are mounted by someone
// else's server, because apps.connections.open, upload URLs and
// response_urls must all be absolute.
func (s *Server) learnURL(r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.baseURL == "" && r.Host != "" {
		s.baseURL = "http://" + r.Host
	}
}

// Start listens on addr ("127.0.0.1:0" when empty) and serves Handler.
// It returns the base URL, e.g. "http://127.0.0.1:41234".
func (s *Server) Start(addr string) (string, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("sandbox slack: listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.baseURL = "http://" + dialable(ln.Addr().(*net.TCPAddr))
	s.httpSrv = srv
	url := s.baseURL
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("sandbox slack stopped serving", "err", err)
		}
	}()
	s.log.Info("sandbox slack listening", "url", url)
	return url, nil
}

// dialable turns a listening address into one a client can connect to: a
// wildcard listen (":8080", "0.0.0.0:8080") is reached on loopback.
func dialable(a *net.TCPAddr) string {
	ip := a.IP
	if ip == nil || ip.IsUnspecified() {
		ip = net.IPv4(127, 0, 0, 1)
	}
	return net.JoinHostPort(ip.String(), strconv.Itoa(a.Port))
}

// requestBase is the base URL as this request's client reached us. URLs
// handed back in a Web API answer use it, because slack-go only sends its
// token to an upload URL on the same scheme and host as its API URL.
func requestBase(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// URL is the sandbox's base URL ("" before Start or a first request).
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.baseURL
}

// APIURL is what to pass to slack.OptionAPIURL: the base URL + "/api/".
// slack-go appends method names directly, hence the trailing slash.
func (s *Server) APIURL() string { return s.URL() + "/api/" }

// Close stops serving, closes every socket and stops envelope retries. It
// waits for the sandbox's own goroutines, not for clients.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	for _, e := range s.envelopes {
		e.stopTimer()
	}
	conns := make([]*socketConn, 0, len(s.allConns))
	for c := range s.allConns {
		conns = append(conns, c)
	}
	srv := s.httpSrv
	s.mu.Unlock()

	var err error
	if srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		// Shutdown does not wait for hijacked websockets; they are closed
		// below. Long polls end through s.done.
		if err = srv.Shutdown(ctx); errors.Is(err, context.DeadlineExceeded) {
			// A connection still busy after the grace (seen under -race on
			// a loaded machine) is cut: this is a local stand-in, and a
			// close must not fail the test that owns it.
			s.log.Warn("sandbox slack: connections still open at close; closing them", "grace", "2s")
			err = srv.Close()
		} else if err != nil {
			err = errors.Join(err, srv.Close())
		}
	}
	for _, c := range conns {
		c.close()
	}
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("sandbox slack: close: %w", err)
	}
	return nil
}

// baseLocked is the absolute URL prefix for links we hand out.
func (s *Server) baseLocked() string {
	if s.baseURL == "" {
		return "http://sandbox.invalid"
	}
	return s.baseURL
}

// bumpLocked tells long-polling pages that something visible changed.
func (s *Server) bumpLocked() {
	s.version++
	close(s.changed)
	s.changed = make(chan struct{})
}
