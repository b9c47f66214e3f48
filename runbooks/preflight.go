package runbooks

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// A preflight is a dry run of a tenant's next cycle: the inventory and every
// gate that can be judged without changing anything, reported to people
// before the change window so hosts that need a person are fixed in time.
// It opens no cycle, starts no operation and writes nothing but its audit
// event on PreflightStream.

// Preflight check verdicts. Unknown is a check that could not be judged (a
// provider failed, or offers no read-only way to judge it): it is never
// counted as passed. Info says what will happen (a window's next opening,
// the change record to be made) without judging it.
const (
	PreflightPass    = "pass"
	PreflightFail    = "fail"
	PreflightUnknown = "unknown"
	PreflightInfo    = "info"
)

// EvPreflight is the audit event of one preflight run.
const EvPreflight = "preflight.run"

// PreflightStream is a tenant's hash-chained stream of preflight runs: no
// cycle carries them.
func PreflightStream(tenant string) string { return "audit/preflight/" + tenant }

// PreflightCheck is one judged gate of a preflight.
type PreflightCheck struct {
	Name     string    `json:"name"` // cycle, inventory, sensors, baseline, health, window, freeze, change
	Env      string    `json:"env,omitempty"`
	Status   string    `json:"status"`
	Summary  string    `json:"summary"`
	Findings []Finding `json:"findings,omitempty"`
	Problems []Problem `json:"problems,omitempty"`
	// Sources name the systems that answered (see Source*).
	Sources []string `json:"sources,omitempty"`
}

// Label is "sensors (production)".
func (c PreflightCheck) Label() string {
	if c.Env == "" {
		return c.Name
	}
	return c.Name + " (" + c.Env + ")"
}

// PreflightReport is what a preflight found.
type PreflightReport struct {
	Tenant string    `json:"tenant"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	// Scheduled is the cycle firing a scheduled preflight runs ahead of;
	// zero for one asked for by a person.
	Scheduled time.Time        `json:"scheduled,omitzero"`
	Hosts     int              `json:"hosts"`
	ByEnv     map[string]int   `json:"by_env,omitempty"`
	Checks    []PreflightCheck `json:"checks"`
	// NeedPerson are the hosts a person must fix before the window
	// (unmanaged, or a sensor that would break), as the gates would fail
	// them.
	NeedPerson []Finding `json:"need_person,omitempty"`
}

// Ready reports whether every judged check passed and none was unknown.
func (r PreflightReport) Ready() bool {
	for _, c := range r.Checks {
		if c.Status == PreflightFail || c.Status == PreflightUnknown {
			return false
		}
	}
	return true
}

// count returns how many checks have status s.
func (r PreflightReport) count(s string) int {
	n := 0
	for _, c := range r.Checks {
		if c.Status == s {
			n++
		}
	}
	return n
}

// Summary is one line: the verdict and the counts.
func (r PreflightReport) Summary() string {
	verdict := "ready"
	if !r.Ready() {
		verdict = "NOT ready"
	}
	s := fmt.Sprintf("preflight of %s: %s — %d hosts; %d passed, %d failed, %d not judged",
		r.Tenant, verdict, r.Hosts, r.count(PreflightPass), r.count(PreflightFail), r.count(PreflightUnknown))
	if n := len(r.NeedPerson); n > 0 {
		s += fmt.Sprintf("; %d host(s) need a person", n)
	}
	return s
}

// Text is the report as plain text, for the CLI and a chat reply.
func (r PreflightReport) Text() string {
	var b strings.Builder
	b.WriteString(r.Summary() + "\n")
	b.WriteString("Dry run at " + r.At.UTC().Format("2006-01-02 15:04 MST") + ": no cycle was opened and nothing was changed.\n")
	if !r.Scheduled.IsZero() {
		b.WriteString("Ahead of the cycle scheduled " + r.Scheduled.UTC().Format("2006-01-02 15:04 MST") + ".\n")
	}
	for _, c := range r.Checks {
		fmt.Fprintf(&b, "[%s] %s: %s", strings.ToUpper(c.Status), c.Label(), c.Summary)
		if len(c.Sources) > 0 {
			b.WriteString(" (source: " + strings.Join(c.Sources, ", ") + ")")
		}
		b.WriteString("\n")
		for i, f := range c.Findings {
			if i == maxPreflightLines {
				fmt.Fprintf(&b, "    … and %d more\n", len(c.Findings)-i)
				break
			}
			fmt.Fprintf(&b, "    - %s: %s\n", orDefault(f.HostName, f.HostID), f.Reason)
		}
		for _, p := range c.Problems {
			fmt.Fprintf(&b, "    - problem: %s\n", p.Title)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// maxPreflightLines bounds the hosts listed per check in a text report.
const maxPreflightLines = 20

// PreflightChat posts a preflight report for people (the scheduled one
// goes to the cycles channel). A Chat that does not implement it gets none.
type PreflightChat interface {
	PreflightPosted(ctx context.Context, r PreflightReport) error
}

// Preflight runs tenant's dry run for actor and audits it. Who may start a
// cycle may ask for its dry run.
func (e *Engine) Preflight(ctx context.Context, tenant, actor string) (PreflightReport, error) {
	return e.preflight(ctx, tenant, actor, time.Time{})
}

func (e *Engine) preflight(ctx context.Context, tenant, actor string, scheduled time.Time) (PreflightReport, error) {
	t, ok := e.tenants[tenant]
	if !ok {
		return PreflightReport{}, Errorf(CodeNotFound, "unknown tenant %q; known tenants: %s", tenant, strings.Join(e.order, ", "))
	}
	if actor == "" {
		return PreflightReport{}, Errorf(CodeInvalid, "a preflight needs someone who asked for it")
	}
	if ok, err := e.mayStart(ctx, actor); err != nil {
		return PreflightReport{}, Errorf(CodeUnavailable, "cannot check who may run preflights: %v", err)
	} else if !ok {
		return PreflightReport{}, Errorf(CodeForbidden, "you may not run preflights; ask someone in the configured requesters")
	}
	r := PreflightReport{Tenant: t.Name, At: e.now(), Actor: actor, Scheduled: scheduled}
	r.Checks = append(r.Checks, e.preflightCycle(ctx, t))
	hosts, inv := e.preflightInventory(ctx, t, &r)
	r.Checks = append(r.Checks, inv)
	for _, spec := range e.pipeline {
		if _, ok := t.Env(spec.Env); !ok {
			continue
		}
		managed := managedIn(hosts, spec.Env)
		if spec.SensorGate {
			r.Checks = append(r.Checks, e.preflightSensors(ctx, spec, managed, hosts != nil, &r))
		}
		r.Checks = append(r.Checks, e.preflightBaseline(ctx, t, spec))
		if spec.HealthGate {
			r.Checks = append(r.Checks, e.preflightHealth(ctx, t.Name, spec.Env))
		}
	}
	r.Checks = append(r.Checks, e.preflightTime(ctx, t, r.At)...)
	r.Checks = append(r.Checks, e.preflightChange())
	e.auditPreflight(ctx, r)
	return r, nil
}

// managedIn are env's hosts the patch agent manages.
func managedIn(hosts []Host, env string) []Host {
	var out []Host
	for _, h := range hosts {
		if h.Env == env && h.Managed {
			out = append(out, h)
		}
	}
	return out
}

// auditPreflight chains the run on the tenant's preflight stream and
// checkpoints it at once (runs are rare and no cycle seals them).
func (e *Engine) auditPreflight(ctx context.Context, r PreflightReport) {
	who := e.person(ctx, r.Actor)
	var checks []string
	for _, c := range r.Checks {
		checks = append(checks, c.Label()+"="+c.Status)
	}
	data := map[string]string{"ready": fmt.Sprint(r.Ready()), "hosts": fmt.Sprint(r.Hosts),
		"need_person": hostList(r.NeedPerson, 1000), "checks": strings.Join(checks, "; ")}
	if !r.Scheduled.IsZero() {
		data["scheduled"] = r.Scheduled.UTC().Format(time.RFC3339)
	}
	ev := Event{At: r.At, Tenant: r.Tenant, Type: EvPreflight, Actor: r.Actor, Person: &who, Detail: r.Summary(), Data: data}
	b, _ := json.Marshal(ev)
	stream := PreflightStream(r.Tenant)
	en, err := e.deps.Store.Append(ctx, stream, b)
	if err != nil {
		e.log.Error("audit preflight", "tenant", r.Tenant, "err", err)
		return
	}
	if e.deps.Notary != nil {
		if _, err := e.deps.Notary.Checkpoint(ctx, stream, en.Seq, en.Hash, true); err != nil {
			e.log.Error("checkpoint preflight stream", "tenant", r.Tenant, "seq", en.Seq, "err", err)
		}
	}
}

// PreflightEvents reads a tenant's preflight runs, oldest first.
func (e *Engine) PreflightEvents(ctx context.Context, tenant string) ([]Event, error) {
	entries, err := e.deps.Store.Read(ctx, PreflightStream(tenant), 1, 0)
	if err != nil {
		return nil, storeErr("read preflight runs of "+tenant, err)
	}
	out := make([]Event, 0, len(entries))
	for _, en := range entries {
		var ev Event
		if err := json.Unmarshal(en.Data, &ev); err != nil {
			return nil, fmt.Errorf("decode preflight run %d of %s: %w", en.Seq, tenant, err)
		}
		ev.Seq = en.Seq
		out = append(out, ev)
	}
	return out, nil
}
