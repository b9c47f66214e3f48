package main

import (
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/patchgate/patchgate/runbooks/sla"
)

// demoPostureYAML makes the SRE and both change approvers risk approvers,
// two of whom (never the requester) must accept an exception.
func demoPostureYAML(string) string {
	return fmt.Sprintf("sla:\n  risk_approvers: [%s, %s, %s]\n  min_approvals: 2\n", demoSRE, demoCAB1, demoCAB2)
}

// exceptionID is the ID a request's reply names for approval.
var exceptionID = regexp.MustCompile("except approve (exc-[0-9a-f]+)`")

// posture plays the SLA part of the story: the posture scan (the daily
// job, run on demand) posts its digest with the charts in its thread; the
// requester looks at a tenant with an overdue host; the SRE asks for an
// exception for that host with a compensating control, is refused his own
// approval (four eyes), and two change approvers accept it; a second scan
// counts the host as excepted, and its digest carries the charts too.
func (p *slackPeople) posture(ctx context.Context) error {
	if p.a.sla == nil {
		return nil
	}
	if err := p.command(ctx, demoSRE, "/patch posture scan"); err != nil {
		return err
	}
	tenant, host, err := p.overdueHost(ctx)
	if err != nil || tenant == "" {
		return err
	}
	if err := p.command(ctx, demoRequester, "/patch posture "+tenant); err != nil {
		return err
	}
	until := time.Now().UTC().AddDate(0, 0, 30).Format(time.DateOnly)
	text := fmt.Sprintf("/patch except %s host:%s %s core-banking vendor certifies the update only at its next release "+
		"control: isolated VLAN, no inbound internet, IDS signatures for the open CVEs", tenant, host, until)
	if err := p.command(ctx, demoSRE, text); err != nil {
		return err
	}
	var m []string
	if eph := p.sb.Ephemerals(demoSRE); len(eph) > 0 {
		m = exceptionID.FindStringSubmatch(eph[len(eph)-1].Text)
	}
	if m == nil {
		return fmt.Errorf("the exception request got no ID to approve")
	}
	for _, who := range []string{demoSRE, demoCAB1, demoCAB2} {
		if err := p.command(ctx, who, "/patch except approve "+m[1]); err != nil {
			return err
		}
	}
	if err := p.command(ctx, demoSRE, "/patch posture scan"); err != nil {
		return err
	}
	return p.command(ctx, demoRequester, "/patch posture "+tenant)
}

// overdueHost is the first tenant (in the configuration's order) with an overdue host in the
// latest scan, and that host's ID; the people read it as they would read
// the digest.
func (p *slackPeople) overdueHost(ctx context.Context) (tenant, host string, err error) {
	snaps, err := p.a.sla.Latest(ctx, "")
	if err != nil {
		return "", "", err
	}
	for _, s := range snaps {
		for _, it := range s.Items {
			if it.Status == sla.Overdue {
				return s.Tenant, it.HostID, nil
			}
		}
	}
	p.say("no host is overdue; nothing to accept")
	return "", "", nil
}
