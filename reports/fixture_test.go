package reports

import (
	"fmt"
	"time"

	rb "github.com/patchgate/patchgate/runbooks"
)

var t0 = time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)

func at(h float64) time.Time { return t0.Add(time.Duration(h * float64(time.Hour))) }

// envStage is a stage that went through every gate and finished.
func envStage(name string, start float64, soak time.Duration, approvers ...string) rb.Stage {
	s := rb.Stage{Name: name, Kind: rb.KindEnvironment, Env: name, Phase: rb.PhaseDone,
		MinApprovals: len(approvers), FourEyes: true, Soak: soak, HealthGate: true, SensorGate: true,
		Started: at(start), Production: name == "production", Staging: name == "staging"}
	for i, a := range approvers {
		s.Approvals = append(s.Approvals, rb.Approval{By: a, At: at(start + 0.1*float64(i+1)), Interaction: "I-" + a + "-" + name, Revision: int64(i + 3)})
	}
	g := func(n string, h float64, sum string) rb.Gate {
		return rb.Gate{Name: n, Passed: true, At: at(start + h), Summary: sum}
	}
	s.Gates = []rb.Gate{g("health", 0.5, "no open problems"), g("sensors", 0.6, "all sensors support the kernel"),
		g("backup", 0.7, "1 image, 1 database snapshot made, 0 failed"), g("patch", 1, "2/2 succeeded, 0 failed"), g("verify", 1.5, "sensors online")}
	s.Backup = rb.Op{Handle: "bk-" + name, Started: at(start + 0.65), Total: 2, Succeeded: 2, Done: true,
		Made: rb.Made{Images: 1, DBSnapshots: 1}}
	s.Patch = rb.Op{Handle: "cmd-" + name, Started: at(start + 0.8), Total: 2, Succeeded: 2, Done: true}
	if soak > 0 {
		s.SoakUntil = at(start + 1.5).Add(soak)
		s.Done = s.SoakUntil
	} else {
		s.Done = at(start + 1.6)
	}
	return s
}

// fixture is a cycle with approvals, a refusal, an excluded host and a
// failed host in production.
func fixture() Bundle {
	pre := rb.Stage{Name: "preflight", Kind: rb.KindPreflight, Phase: rb.PhaseDone, Started: at(0), Done: at(0.2),
		Gates: []rb.Gate{{Name: "inventory", Passed: false, At: at(0.1), Summary: "7 hosts, 1 unmanaged",
			Findings: []rb.Finding{{HostID: "i-legacy", HostName: "legacy-ftp", Reason: "SSM agent offline"}}}},
		Exclusions: []rb.Finding{{HostID: "i-legacy", HostName: "legacy-ftp", Reason: "SSM agent offline"}}}
	nonprod := envStage("nonprod", 0.3, 0, "U0APPROVER1")
	staging := envStage("staging", 2, 24*time.Hour, "U0APPROVER1")
	prod := envStage("production", 28, 0, "U0APPROVER1", "U0APPROVER2")
	prod.Gates[3] = rb.Gate{Name: "patch", Passed: false, At: at(29), Summary: "1/2 succeeded, 1 failed",
		Findings: []rb.Finding{{HostID: "i-prod-db", HostName: "prod-db-1", Reason: "yum exited 1: dependency conflict"}}}
	prod.Gates = prod.Gates[:4]
	prod.Phase, prod.Done = rb.PhaseFailed, time.Time{}
	prod.Failure = &rb.Failure{Phase: rb.PhasePatch, At: at(29), Reason: "patch failed on 1 host(s)", Findings: prod.Gates[3].Findings}
	prod.Incident = rb.Incident{Key: "patchgate/c-42/production", Triggered: true, Resolved: true}
	c := &rb.Cycle{ID: "c-42", Tenant: "acme-cu", Requester: "U0REQUESTER", Created: t0, Status: rb.StatusHalted,
		Stages: []rb.Stage{pre, nonprod, staging, prod, {Name: "report", Kind: rb.KindReport, Phase: rb.PhasePending}},
		Halt:   &rb.Halt{By: rb.ActorSystem, At: at(29), Reason: "production: patch failed on 1 host(s)"}}

	host := func(id, name string, cloud rb.Cloud, env string, pending int) rb.Host {
		return rb.Host{ID: id, Name: name, Cloud: cloud, Account: "acct-" + string(cloud), Env: env, OS: "Amazon Linux", OSVersion: "2023",
			Kernel: "6.1.115", Managed: true, HasSensor: true, SensorVersion: "7.18", SensorSource: "falcon", PendingPatches: pending, LastPatched: at(29)}
	}
	hosts := []rb.Host{
		host("i-np-1", "nonprod-web-1", rb.AWS, "nonprod", 0),
		host("vm-np-2", "nonprod-api-2", rb.Azure, "nonprod", 0),
		host("i-st-1", "staging-web-1", rb.AWS, "staging", 0),
		host("gce-st-2", "staging-api-2", rb.GCP, "staging", 0),
		host("i-prod-web", "prod-web-1", rb.AWS, "production", 0),
		host("i-prod-db", "prod-db-1", rb.AWS, "production", 4),
		host("i-legacy", "legacy-ftp", rb.AWS, "production", 9),
	}
	hosts[5].LastPatched = t0.AddDate(0, -2, 0)
	hosts[6].Managed, hosts[6].LastPatched, hosts[6].AgentStatus = false, time.Time{}, "offline"

	var events []rb.Event
	add := func(when time.Time, stage, typ, actor, detail string, data map[string]string) {
		events = append(events, rb.Event{Seq: int64(len(events) + 1), At: when, Cycle: c.ID, Tenant: c.Tenant,
			Stage: stage, Type: typ, Actor: actor, Detail: detail, Data: data})
	}
	add(t0, "", rb.EvCycleStarted, "U0REQUESTER", "patch cycle requested", nil)
	for _, s := range c.Stages {
		for _, a := range s.Approvals {
			add(a.At, s.Name, rb.EvApproved, a.By, "approved", nil)
		}
		for _, g := range s.Gates {
			add(g.At, s.Name, rb.EvGatePassed, rb.ActorSystem, g.Name+": "+g.Summary, nil)
		}
	}
	add(at(29), "production", rb.EvIncidentOpened, rb.ActorSystem, "patch failed", map[string]string{"dedup_key": prod.Incident.Key})
	add(at(30), "production", rb.EvIncidentResolved, rb.ActorSystem, "excluded and resolved", map[string]string{"dedup_key": prod.Incident.Key})
	refusals := []rb.Event{{At: at(28.05), Cycle: c.ID, Tenant: c.Tenant, Stage: "production", Type: rb.EvRefused,
		Actor: "U0REQUESTER", Detail: "the requester may not approve this stage",
		Data: map[string]string{"action": "approve", "code": "forbidden", "seen_revision": "20", "revision": "20", "interaction": "I-refused"}}}
	return Bundle{Cycle: c, Events: events, Hosts: hosts, Refusals: refusals, Now: at(31),
		Chain:          Chain{Entries: int64(len(events)), Head: "9f2c4e1d00aa"},
		EvidenceSHA256: fmt.Sprintf("%064x", 42), Access: fixtureAccess()}
}

// fixtureAccess grants access to the fixture's three accounts.
func fixtureAccess() *rb.AccessReport {
	a := &rb.AccessReport{At: at(31)}
	for _, cl := range []rb.Cloud{rb.AWS, rb.Azure, rb.GCP} {
		acct := "acct-" + string(cl)
		a.Grants = append(a.Grants,
			rb.AccessGrant{Cloud: cl, Account: acct, Principal: "acme-cu-platform-admins", PrincipalType: "GROUP", PermissionSet: "AdministratorAccess", Source: "aws-identity-center"},
			rb.AccessGrant{Cloud: cl, Account: acct, Principal: "breakglass@acme-cu", PrincipalType: "USER", PermissionSet: "AdministratorAccess", Source: "aws-identity-center"})
		a.Executors = append(a.Executors, rb.Executor{Cloud: cl, Account: acct, Principal: "arn:aws:sts::" + acct + ":assumed-role/patchgate-executor/patchgate"})
	}
	return a
}
