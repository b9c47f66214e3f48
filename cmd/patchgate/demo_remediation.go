package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/patchgate/patchgate/bot"
	"github.com/patchgate/patchgate/config"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
)

// The host that falls out of compliance after the cycles: an AWS instance
// of acme-cu's nonprod, patched by its cycle, for which the vendor then
// releases patches (day 3 in the AWS lab's story).
const (
	demoRemediationHost    = "acme-cu-nonprod-web-01"
	demoRemediationPatches = 3
)

// demoRemediationYAML turns on the signed HTTP intake on a free local port,
// its HMAC key in a file under dir, with the shortest debounce and a
// compliance poll the demo can wait for.
func demoRemediationYAML(dir string) string {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	path := filepath.Join(dir, "intake-secret")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)), 0o600); err != nil {
		return ""
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return ""
	}
	addr := l.Addr().String()
	l.Close()
	return fmt.Sprintf("remediation:\n  http_listen: %q\n  http_secret: file:%s\n  debounce: 1m\n  compliance_timeout: 5m\n  compliance_poll: 10s\n", addr, path)
}

// remediation plays the AWS lab's event the patchgate way: patches are
// released for one acme-cu instance after its cycle, AWS Config flags it
// NON_COMPLIANT and EventBridge's event reaches the signed HTTP intake;
// after the debounce window the card asks nonprod's approvers: otto is
// refused, sam approves; the instance goes through the gates and is
// patched, and the card resolves when (the simulated) Config reports it
// COMPLIANT.
func (p *slackPeople) remediation(ctx context.Context) error {
	h, ok := p.a.fleet.Host(demoRemediationHost)
	if !ok {
		return fmt.Errorf("demo story: no host %s", demoRemediationHost)
	}
	if err := p.a.fleet.ReleasePatches(h.ID, demoRemediationPatches); err != nil {
		return err
	}
	p.say("the vendor releases %d patches; AWS Config flags %s (%s) NON_COMPLIANT", demoRemediationPatches, h.Name, h.ID)
	status, err := postConfigEvent(ctx, p.a.cfg.Remediation, sim.ConfigComplianceEvent("demo-"+h.ID, h.Account, h.Region, h.ID,
		config.DefaultRemediationRule, runbooks.NonCompliant, time.Now()))
	if err != nil {
		return err
	}
	p.say("EventBridge's event, signed, to POST %s → %s", bot.PathConfigEvents, status)
	r, err := p.awaitRemediation(ctx, func(r *runbooks.Remediation) bool { return r.Status == runbooks.RemAwaitingApproval }, 5*time.Minute)
	if err != nil {
		return err
	}
	for _, who := range []string{demoOutsider, demoSRE} {
		if err := p.clickRemediation(ctx, r, who); err != nil {
			return err
		}
	}
	r, err = p.awaitRemediation(ctx, func(r *runbooks.Remediation) bool { return r.Status.Terminal() }, 5*time.Minute)
	if err != nil {
		return err
	}
	all, err := p.a.engine.RemediationInstances(ctx, r)
	if err != nil {
		return err
	}
	ins := make([]string, len(all))
	for i, in := range all {
		ins[i] = in.Host.ID + " " + in.Compliance
	}
	p.say("remediation %s of %s %s: %s (%s)", r.ID, r.Tenant, r.Env, r.Status, strings.Join(ins, ", "))
	return nil
}

// postConfigEvent POSTs body to the HTTP intake, signed with its key, and
// returns the answer's status line and body.
func postConfigEvent(ctx context.Context, r config.Remediation, body []byte) (string, error) {
	key, err := r.HTTPSecret.Resolve(nil)
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+r.HTTPListen+bot.PathConfigEvents, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	bot.SignIntake(req.Header, []byte(key), time.Now(), body)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("demo story: post the Config event: %w", err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("demo story: the intake answered %s: %s", resp.Status, answer)
	}
	return resp.Status + " " + strings.TrimSpace(string(answer)), nil
}

// awaitRemediation waits for acme-cu's remediation to satisfy done.
func (p *slackPeople) awaitRemediation(ctx context.Context, done func(*runbooks.Remediation) bool, limit time.Duration) (*runbooks.Remediation, error) {
	for deadline := time.Now().Add(limit); time.Now().Before(deadline); {
		for _, finished := range []bool{false, true} {
			rms, err := p.a.engine.Remediations(ctx, finished)
			if err != nil {
				return nil, err
			}
			for _, r := range rms {
				if r.Tenant == "acme-cu" && done(r) {
					return r, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return nil, fmt.Errorf("demo story: acme-cu's remediation did not get there within %s", limit)
}

// clickRemediation clicks Approve on the remediation's card as who, once
// the card shows the button at the remediation's revision.
func (p *slackPeople) clickRemediation(ctx context.Context, r *runbooks.Remediation, who string) error {
	view := &runbooks.Cycle{ID: r.ID, Tenant: r.Tenant, Revision: r.Revision}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		ok, err := p.click(ctx, view, who, "remediation", runbooks.Approve)
		if ok || err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("demo story: remediation %s's card never showed Approve", r.ID)
}
