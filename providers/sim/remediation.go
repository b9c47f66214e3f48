package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// MethodInstanceTags is EC2's tag read, counted in Stats.Calls.
const MethodInstanceTags = "DescribeInstances(tags)"

// InstanceTags stands for the tags EC2 DescribeInstances reports for one
// AWS instance of the fleet, as the remediation intake's triage reads them
// (providers/aws/events.Tagger): Name, tenant and env. An instance the
// fleet does not have in that account and region is not found.
func (f *Fleet) InstanceTags(ctx context.Context, account, region, id string) (map[string]string, bool, error) {
	var (
		tags  map[string]string
		found bool
	)
	err := f.call(ctx, MethodInstanceTags, func(int) error {
		i, ok := f.w.byID[id]
		if !ok {
			return nil
		}
		h := f.w.hosts[i]
		if h.Cloud != runbooks.AWS || h.Account != account || h.Region != region {
			return nil
		}
		tags, found = map[string]string{"Name": h.Name, "tenant": f.w.tenant[i], "env": h.Env}, true
		return nil
	})
	return tags, found, err
}

// ReleasePatches makes the hosts a selector names fall out of compliance
// after their cycle: the vendor releases n patches now, pending until a
// later successful patch installs them (the demo's day-3 host that AWS
// Config flags).
func (f *Fleet) ReleasePatches(selector string, n int) error {
	if n <= 0 {
		return fmt.Errorf("release %d patches: want at least one", n)
	}
	return f.mutate(func() error {
		now := f.now()
		_, err := f.edit(selector, func(m *hostMut) error {
			m.Released, m.ReleasedPatches = now, n
			return nil
		})
		return err
	})
}

// afterRelease applies released patches to host i's view: pending until a
// patch that finished after their release, whose end is then the host's
// last patch.
func (f *Fleet) afterRelease(i int, h runbooks.Host, m hostMut, now time.Time) runbooks.Host {
	if m.ReleasedPatches == 0 {
		return h
	}
	if at, ok := f.patchedSince(i, m.Released, now); ok {
		h.PendingPatches, h.LastPatched = 0, at
		return h
	}
	h.PendingPatches += m.ReleasedPatches
	return h
}

// patchedSince is the end of host i's latest successful patch that
// finished in [since, now].
func (f *Fleet) patchedSince(i int, since, now time.Time) (time.Time, bool) {
	var last time.Time
	for _, op := range f.st.Ops {
		if op.Kind != kindPatch || op.DoneAt.Before(since) || op.DoneAt.After(now) {
			continue
		}
		for pos, j := range op.Hosts {
			if _, failed := op.failed(pos); j == i && !failed && op.DoneAt.After(last) {
				last = op.DoneAt
			}
		}
	}
	return last, !last.IsZero()
}

// ConfigComplianceEvent is an AWS Config "Config Rules Compliance Change"
// event as EventBridge delivers it to a target (the envelope around
// Config's ComplianceChangeNotification; the documented fields, see
// providers/aws/events/testdata/SOURCE.md), for an instance of the fleet
// whose verdict under rule changed from COMPLIANT to compliance at at.
func ConfigComplianceEvent(id, account, region, instance, rule, compliance string, at time.Time) []byte {
	result := func(c string, t time.Time) map[string]any {
		return map[string]any{
			"evaluationResultIdentifier": map[string]any{
				"evaluationResultQualifier": map[string]any{"configRuleName": rule, "resourceType": "AWS::SSM::PatchCompliance", "resourceId": instance},
				"orderingTimestamp":         t.UTC().Format("2006-01-02T15:04:05.000Z"),
			},
			"complianceType": c, "resultRecordedTime": t.UTC().Format("2006-01-02T15:04:05.000Z"),
			"configRuleInvokedTime": t.UTC().Format("2006-01-02T15:04:05.000Z"),
		}
	}
	b, _ := json.Marshal(map[string]any{
		"version": "0", "id": id, "detail-type": "Config Rules Compliance Change", "source": "aws.config",
		"account": account, "time": at.UTC().Format(time.RFC3339), "region": region, "resources": []string{},
		"detail": map[string]any{
			"resourceId": instance, "awsRegion": region, "awsAccountId": account, "configRuleName": rule, "recordVersion": "1.0",
			"configRuleARN": fmt.Sprintf("arn:aws:config:%s:%s:config-rule/config-rule-%s", region, account, "p4tch1"),
			"messageType":   "ComplianceChangeNotification", "newEvaluationResult": result(compliance, at),
			"oldEvaluationResult": result(runbooks.Compliant, at.AddDate(0, 0, -3)), "notificationCreationTime": at.UTC().Format("2006-01-02T15:04:05.000Z"),
		},
	})
	return b
}
