package runbooks

import (
	"testing"
	"time"
)

// TestBackupRetentionKeepsTheLastBackupOfAHostInAnOpenCycle: past the
// age, a host whose tenant has a cycle open keeps its newest backup when
// nothing else of it would survive; a host with a younger or needed backup
// keeps nothing extra, and another tenant's host is not held back.
func TestBackupRetentionKeepsTheLastBackupOfAHostInAnOpenCycle(t *testing.T) {
	now := time.Date(2026, 12, 6, 2, 0, 0, 0, time.UTC)
	old := now.Add(-20 * 24 * time.Hour)
	n := needed{cycles: map[string]bool{"acme-eu-20261205-0200-bbb": true}, tenants: map[string]string{"acme-eu": "acme-eu-20261205-0200-bbb"},
		backups: map[string]string{}, last: map[string]string{}}
	bs := []HostBackup{
		{ID: "ami-1", HostID: "i-1", Cloud: AWS, Cycle: "acme-eu-20261101-0200-aaa", TakenAt: old},
		{ID: "ami-2", HostID: "i-1", Cloud: AWS, Cycle: "acme-eu-20261108-0200-aaa", TakenAt: old.Add(time.Hour)},
		{ID: "ami-3", HostID: "i-2", Cloud: AWS, Cycle: "acme-eu-20261101-0200-aaa", TakenAt: old},
		{ID: "ami-4", HostID: "i-2", Cloud: AWS, Cycle: "acme-eu-20261205-0200-bbb", TakenAt: old.Add(2 * time.Hour)},
		{ID: "ami-5", HostID: "i-3", Cloud: AWS, Cycle: "acme-20261101-0200-ccc", TakenAt: old},
	}
	n.lastOfHost(bs, func(b HostBackup) bool { return now.Sub(b.TakenAt) >= 14*24*time.Hour })
	if _, ok := n.reason(bs[1]); !ok {
		t.Error("i-1's newest backup (its only one left) would be deleted while its tenant has a cycle open")
	}
	for _, i := range []int{0, 2, 4} {
		if why, ok := n.reason(bs[i]); ok {
			t.Errorf("%s kept (%s); want it deleted", bs[i].ID, why)
		}
	}
	if got := cycleTenant("acme-eu-20261205-0200-bbb"); got != "acme-eu" {
		t.Errorf("cycleTenant = %q", got)
	}
}
