package sim

import (
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/patchgate/patchgate/providers/servicenow/servicenowtest"
)

// ServiceNow is a simulated ServiceNow instance for the demo: the
// Change Management API as servicenowtest speaks it, whose CAB approves a
// change as soon as its approval is requested, and a page per change that
// the sandbox's messages link to.
type ServiceNow struct {
	URL      string
	Instance *servicenowtest.Server
	srv      *http.Server
}

// StartServiceNow serves a simulated instance on a loopback port,
// accepting user and password.
func StartServiceNow(user, password string) (*ServiceNow, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	inst := servicenowtest.New(user, password)
	inst.AutoApprove = true
	sn := &ServiceNow{URL: "http://" + l.Addr().String(), Instance: inst,
		srv: &http.Server{Handler: inst, ReadHeaderTimeout: 5 * time.Second}}
	go func() {
		if err := sn.srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			_ = err // the demo goes on without change records
		}
	}()
	return sn, nil
}

// Close stops the instance.
func (s *ServiceNow) Close() error { return s.srv.Close() }
