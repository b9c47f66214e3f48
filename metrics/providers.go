package metrics

import (
	"context"
	"reflect"
	"strings"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// Instrument wraps every provider port in deps (inventory, sensors,
// backups, patcher, health, pager) so each call is timed and its errors
// counted, labelled with the provider's package name (sim, falcon,
// pagerduty, dynatrace, aws, …), and wraps the store unless it already is.
// It returns the instrumented copy of deps, to give the engine.
func (m *Metrics) Instrument(deps runbooks.Deps) runbooks.Deps {
	if _, done := deps.Store.(*store); !done && deps.Store != nil {
		deps.Store = m.Store(deps.Store)
	}
	if deps.Inventory != nil {
		deps.Inventory = inventory{deps.Inventory, m.provider(deps.Inventory)}
	}
	if deps.Sensors != nil {
		deps.Sensors = sensors{deps.Sensors, m.provider(deps.Sensors)}
	}
	if deps.Backups != nil {
		deps.Backups = backups{deps.Backups, m.provider(deps.Backups)}
	}
	if deps.Patcher != nil {
		deps.Patcher = m.wrapPatcher(deps.Patcher)
	}
	if deps.Health != nil {
		deps.Health = health{deps.Health, m.provider(deps.Health)}
	}
	if deps.Pager != nil {
		deps.Pager = pager{deps.Pager, m.provider(deps.Pager)}
	}
	return deps
}

// caller times the calls of one provider.
type caller struct {
	m    *Metrics
	name string
}

func (m *Metrics) provider(impl any) caller { return caller{m: m, name: ProviderName(impl)} }

func (c caller) observe(method string, start time.Time, err error) {
	c.m.providerTime.WithLabelValues(c.name, method).Observe(since(start))
	if err != nil {
		c.m.providerErrors.WithLabelValues(c.name, method, runbooks.ErrorCode(err)).Inc()
	}
}

// ProviderName is impl's own ProviderName() if it has one (a router over
// several clouds can say which it is), else the last element of the package
// that defines impl's type ("sim" for *sim.Fleet), so labels follow the code
// without a registry of names to keep in step.
func ProviderName(impl any) string {
	if n, ok := impl.(interface{ ProviderName() string }); ok {
		return n.ProviderName()
	}
	t := reflect.TypeOf(impl)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.PkgPath() == "" {
		return "unknown"
	}
	p := t.PkgPath()
	return p[strings.LastIndex(p, "/")+1:]
}

type inventory struct {
	runbooks.Inventory
	c caller
}

func (w inventory) Hosts(ctx context.Context, t runbooks.Tenant, env runbooks.Environment) ([]runbooks.Host, error) {
	start := time.Now()
	h, err := w.Inventory.Hosts(ctx, t, env)
	w.c.observe("Hosts", start, err)
	return h, err
}

type sensors struct {
	runbooks.Sensors
	c caller
}

func (w sensors) PrePatch(ctx context.Context, hosts []runbooks.Host) ([]runbooks.Finding, error) {
	start := time.Now()
	f, err := w.Sensors.PrePatch(ctx, hosts)
	w.c.observe("PrePatch", start, err)
	return f, err
}

func (w sensors) PostPatch(ctx context.Context, hosts []runbooks.Host) ([]runbooks.Finding, error) {
	start := time.Now()
	f, err := w.Sensors.PostPatch(ctx, hosts)
	w.c.observe("PostPatch", start, err)
	return f, err
}

type backups struct {
	runbooks.Backups
	c caller
}

func (w backups) StartBackup(ctx context.Context, req runbooks.OpRequest) (string, error) {
	start := time.Now()
	h, err := w.Backups.StartBackup(ctx, req)
	w.c.observe("StartBackup", start, err)
	return h, err
}

func (w backups) FindBackup(ctx context.Context, req runbooks.OpRequest) (string, bool, error) {
	start := time.Now()
	h, ok, err := w.Backups.FindBackup(ctx, req)
	w.c.observe("FindBackup", start, err)
	return h, ok, err
}

func (w backups) BackupStatus(ctx context.Context, handle string) (runbooks.OpStatus, error) {
	start := time.Now()
	s, err := w.Backups.BackupStatus(ctx, handle)
	w.c.observe("BackupStatus", start, err)
	return s, err
}

type patcher struct {
	runbooks.Patcher
	c caller
}

func (w patcher) StartPatch(ctx context.Context, req runbooks.OpRequest) (string, error) {
	start := time.Now()
	h, err := w.Patcher.StartPatch(ctx, req)
	w.c.observe("StartPatch", start, err)
	return h, err
}

func (w patcher) FindPatch(ctx context.Context, req runbooks.OpRequest) (string, bool, error) {
	start := time.Now()
	h, ok, err := w.Patcher.FindPatch(ctx, req)
	w.c.observe("FindPatch", start, err)
	return h, ok, err
}

func (w patcher) PatchStatus(ctx context.Context, handle string) (runbooks.OpStatus, error) {
	start := time.Now()
	s, err := w.Patcher.PatchStatus(ctx, handle)
	w.c.observe("PatchStatus", start, err)
	return s, err
}

func (w patcher) VerifyPatch(ctx context.Context, req runbooks.OpRequest) ([]runbooks.Finding, error) {
	start := time.Now()
	f, err := w.Patcher.VerifyPatch(ctx, req)
	w.c.observe("VerifyPatch", start, err)
	return f, err
}

type health struct {
	runbooks.Health
	c caller
}

func (w health) Problems(ctx context.Context, tenant, env string) ([]runbooks.Problem, error) {
	start := time.Now()
	p, err := w.Health.Problems(ctx, tenant, env)
	w.c.observe("Problems", start, err)
	return p, err
}

type pager struct {
	runbooks.Pager
	c caller
}

func (w pager) Trigger(ctx context.Context, p runbooks.Page) error {
	start := time.Now()
	err := w.Pager.Trigger(ctx, p)
	w.c.observe("Trigger", start, err)
	return err
}

func (w pager) Acknowledge(ctx context.Context, key string) error {
	start := time.Now()
	err := w.Pager.Acknowledge(ctx, key)
	w.c.observe("Acknowledge", start, err)
	return err
}

func (w pager) Resolve(ctx context.Context, key string) error {
	start := time.Now()
	err := w.Pager.Resolve(ctx, key)
	w.c.observe("Resolve", start, err)
	return err
}

// Fleet wraps one cloud's fleet ports before a router joins them, so each
// cloud's calls are labelled with its own provider (aws, azure, gcp) and
// not only with the router's.
func (m *Metrics) Fleet(inv runbooks.Inventory, b runbooks.Backups, p runbooks.Patcher) (runbooks.Inventory, runbooks.Backups, runbooks.Patcher) {
	return inventory{inv, m.provider(inv)}, backups{b, m.provider(b)}, m.wrapPatcher(p)
}
