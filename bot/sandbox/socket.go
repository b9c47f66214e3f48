package sandbox

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// upgrader accepts any Origin: slack-go's socketmode client sends
// "Origin: https://api.slack.com", which is never this server's origin.
var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// socketConn is one Socket Mode connection. gorilla/websocket allows one
// writer at a time, so every frame goes through write.
type socketConn struct {
	ws        *websocket.Conn
	wmu       sync.Mutex
	closeOnce sync.Once
	done      chan struct{}
	// retired is set (under Server.mu) once DropConnections has asked this
	// connection to go away; a retired connection is never chosen for an
	// envelope, even when its hello was still being written at the time.
	retired bool
}

func (c *socketConn) write(v any) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(v)
}

func (c *socketConn) close() {
	c.closeOnce.Do(func() {
		close(c.done)
		_ = c.ws.Close()
	})
}

// Frames the server sends besides envelopes.
type helloFrame struct {
	Type           string         `json:"type"`
	NumConnections int            `json:"num_connections"`
	DebugInfo      map[string]any `json:"debug_info"`
	ConnectionInfo map[string]any `json:"connection_info"`
}

type disconnectFrame struct {
	Type      string         `json:"type"`
	Reason    string         `json:"reason"`
	DebugInfo map[string]any `json:"debug_info"`
}

const debugHost = "applink-sandbox"

// appsConnectionsOpen issues a single-use ticket in a websocket URL, the way
// Slack points a Socket Mode client at one of its hosts.
func (s *Server) appsConnectionsOpen(r *apiRequest) (map[string]any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ticket := envelopeID()
	s.tickets[ticket] = true
	base := requestBase(r.http)
	switch {
	case strings.HasPrefix(base, "https://"):
		base = "wss://" + strings.TrimPrefix(base, "https://")
	default:
		base = "ws://" + strings.TrimPrefix(base, "http://")
	}
	q := url.Values{"ticket": {ticket}, "app_id": {s.opts.AppID}}
	return map[string]any{"url": base + "/link/?" + q.Encode()}, nil
}

func (s *Server) serveSocket(w http.ResponseWriter, r *http.Request) {
	ticket := r.URL.Query().Get("ticket")
	s.mu.Lock()
	valid := s.tickets[ticket]
	delete(s.tickets, ticket)
	s.mu.Unlock()
	if !valid {
		http.Error(w, "invalid or used ticket: call apps.connections.open", http.StatusUnauthorized)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // the upgrader has answered the client
	}
	c := &socketConn{ws: ws, done: make(chan struct{})}

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.close()
		return
	}
	s.allConns[c] = true
	s.wg.Add(2) // this reader and the pinger
	s.connects++
	hello := helloFrame{
		Type:           "hello",
		NumConnections: len(s.conns) + 1,
		DebugInfo:      map[string]any{"host": debugHost, "build_number": 1, "approximate_connection_time": 18060},
		ConnectionInfo: map[string]any{"app_id": s.opts.AppID},
	}
	s.mu.Unlock()
	defer s.wg.Done()

	go func() {
		defer s.wg.Done()
		s.ping(c)
	}()
	// hello goes out before the connection can be chosen for an envelope.
	if err := c.write(hello); err != nil {
		s.dropConn(c)
		return
	}
	s.mu.Lock()
	var queued []*envelope
	if !c.retired {
		s.conns = append(s.conns, c)
		queued = s.queue
		s.queue = nil
	}
	s.mu.Unlock()
	s.log.Info("sandbox slack: socket mode client connected")
	for _, e := range queued {
		s.deliver(e)
	}
	s.readAcks(c)
}

// ping keeps the client alive: slack-go's socketmode client gives up on a
// connection that has not been pinged for 30 s.
func (s *Server) ping(c *socketConn) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)); err != nil {
			return
		}
		select {
		case <-c.done:
			return
		case <-t.C:
		}
	}
}

// readAcks reads what the client sends: acknowledgements, each naming an
// envelope and optionally carrying a response payload.
func (s *Server) readAcks(c *socketConn) {
	defer s.dropConn(c)
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := json.Unmarshal(data, &ack); err != nil || ack.EnvelopeID == "" {
			s.log.Warn("sandbox slack: ignoring a socket frame that is not an ack", "bytes", len(data))
			continue
		}
		s.ack(ack.EnvelopeID, ack.Payload)
	}
}

func (s *Server) dropConn(c *socketConn) {
	s.mu.Lock()
	s.removeConnLocked(c)
	delete(s.allConns, c)
	s.mu.Unlock()
	c.close()
}

func (s *Server) removeConnLocked(c *socketConn) {
	for i, x := range s.conns {
		if x == c {
			s.conns = append(s.conns[:i], s.conns[i+1:]...)
			return
		}
	}
}

// DropConnections asks every connected client to reconnect, as Slack does
// when it rotates its hosts: a disconnect frame with reason
// "refresh_requested", after which the client calls apps.connections.open
// again. The old sockets get no new envelopes (those queue for the new
// connection), may still ack what they hold, and are closed after 2 s if
// the client has not closed them itself.
func (s *Server) DropConnections() {
	s.mu.Lock()
	// Every connection that has been opened, including one whose hello is
	// still on its way: a client that has read hello counts as connected.
	var conns []*socketConn
	for c := range s.allConns {
		if !c.retired {
			c.retired = true
			conns = append(conns, c)
		}
	}
	s.conns = nil
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(len(conns))
	s.mu.Unlock()
	frame := disconnectFrame{Type: "disconnect", Reason: "refresh_requested", DebugInfo: map[string]any{"host": debugHost}}
	for _, c := range conns {
		_ = c.write(frame)
		go func() {
			defer s.wg.Done()
			select {
			case <-c.done:
			case <-s.done:
			case <-time.After(2 * time.Second):
			}
			s.dropConn(c)
		}()
	}
}

// Connections is how many sockets currently receive envelopes.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// Connects is how many Socket Mode connections were ever opened (each one
// greeted with hello); a reconnect shows up as an increase.
func (s *Server) Connects() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connects
}
