package aws

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestBackupRetentionAWS: the catalog lists exactly patchgate's pre-patch
// AMIs (owner self, tagged) with their host, cycle and creation time, not
// an AMI someone else made; deleting one deregisters it and deletes its EBS
// snapshots; a deregistration whose answer is lost leaves nothing behind:
// the next run finds the AMI gone and its snapshots (tagged before the
// deregistration) listed and deleted. A peer answering 500 with HTML, or
// never answering, fails the listing within the budget and nothing is
// deleted.
func TestBackupRetentionAWS(t *testing.T) {
	moto := awstest.Moto(t)
	peer := testkit.NewHostile(t, moto)
	ctx := context.Background()
	ids := runInstances(t, moto, acctA, 2, map[string]string{"Name": "app"})
	cfg := testConfig(peer.URL, "")
	cfg.Backup.NoReboot = true
	cfg.Tenants = []runbooks.Tenant{{Name: "acme", Environments: []runbooks.Environment{awsEnv("nonprod", nil)}}}
	p := newProvider(t, cfg)
	if _, err := p.StartBackup(ctx, opRequest("acme-20261122-0200-abc/nonprod/backup/0", hostsOf(ids))); err != nil {
		t.Fatal(err)
	}
	ec := ec2.NewFromConfig(motoConfig(moto, acctA), func(o *ec2.Options) { o.BaseEndpoint = aws.String(moto) })
	other, err := ec.CreateImage(ctx, &ec2.CreateImageInput{InstanceId: aws.String(ids[0]), Name: aws.String("golden image"), NoReboot: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}

	listed, err := p.ListPrePatchBackups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 {
		t.Fatalf("listed %+v; want the two pre-patch AMIs and not %s", listed, aws.ToString(other.ImageId))
	}
	hosts := map[string]bool{}
	for _, b := range listed {
		hosts[b.HostID] = true
		if b.Kind != runbooks.BackupImage || b.Cycle != "acme-20261122-0200-abc" || b.TakenAt.IsZero() ||
			b.Account != acctA || b.Region != region || b.ID == aws.ToString(other.ImageId) {
			t.Errorf("listed %+v: want a pre-patch AMI with its cycle, creation time and place", b)
		}
	}
	if !hosts[ids[0]] || !hosts[ids[1]] {
		t.Errorf("listed hosts %v, want %v", hosts, ids)
	}

	// The first AMI: deleted with its snapshots; deleting it again is done.
	snaps := imageSnapshots(t, ec, listed[0].ID)
	if len(snaps) == 0 {
		t.Fatalf("AMI %s has no EBS snapshot in moto", listed[0].ID)
	}
	if err := p.DeleteBackup(ctx, listed[0]); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteBackup(ctx, listed[0]); err != nil {
		t.Fatalf("deleting a backup already gone: %v; want it counted deleted", err)
	}
	assertGone(t, ec, listed[0].ID, snaps)

	// The second: the DeregisterImage answer is cut short after moto did it.
	snaps = imageSnapshots(t, ec, listed[1].ID)
	peer.Match = action("DeregisterImage")
	peer.Truncate()
	lost := p.DeleteBackup(ctx, listed[1])
	peer.Pass()
	again, err := p.ListPrePatchBackups(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range again {
		if b.ID == listed[1].ID {
			t.Fatalf("AMI %s still listed after its deregistration (first answer: %v)", b.ID, lost)
		}
		if err := p.DeleteBackup(ctx, b); err != nil {
			t.Fatalf("next run deleting %s %s: %v", b.Kind, b.ID, err)
		}
	}
	t.Logf("lost answer: first delete said %v; the next run listed %d left behind", lost, len(again))
	assertGone(t, ec, listed[1].ID, snaps)
	if rest, err := p.ListPrePatchBackups(ctx); err != nil || len(rest) != 0 {
		t.Fatalf("after both runs: %+v, %v; want nothing left", rest, err)
	}

	// A broken peer fails the listing (nothing to delete comes of it).
	if _, err := p.StartBackup(ctx, opRequest("acme-20261201-0200-def/nonprod/backup/0", hostsOf(ids[:1]))); err != nil {
		t.Fatal(err)
	}
	peer.Match = action("DescribeImages")
	peer.HTMLError()
	if bs, err := p.ListPrePatchBackups(ctx); err == nil {
		t.Fatalf("listing through a 500-HTML peer: %+v, no error", bs)
	}
	peer.BlackHole()
	bctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if bs, err := p.ListPrePatchBackups(bctx); err == nil || !errors.Is(err, context.DeadlineExceeded) && bctx.Err() == nil {
		t.Fatalf("listing through a peer that never answers: %+v, %v; want the budget's deadline", bs, err)
	}
	peer.Pass()
	if bs, err := p.ListPrePatchBackups(ctx); err != nil || len(bs) != 1 {
		t.Fatalf("after the peer recovered: %+v, %v; want the one AMI untouched", bs, err)
	}
}

// action picks EC2 query requests of one Action (the body is put back).
func action(name string) func(*http.Request) bool {
	return func(r *http.Request) bool {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		form, _ := url.ParseQuery(string(body))
		return form.Get("Action") == name
	}
}

func imageSnapshots(t *testing.T, ec *ec2.Client, image string) []string {
	t.Helper()
	out, err := ec.DescribeImages(context.Background(), &ec2.DescribeImagesInput{ImageIds: []string{image}})
	if err != nil || len(out.Images) != 1 {
		t.Fatalf("DescribeImages %s: %v", image, err)
	}
	var ids []string
	for _, m := range out.Images[0].BlockDeviceMappings {
		if m.Ebs != nil && m.Ebs.SnapshotId != nil {
			ids = append(ids, *m.Ebs.SnapshotId)
		}
	}
	return ids
}

// assertGone: moto no longer has the AMI nor any of its snapshots.
func assertGone(t *testing.T, ec *ec2.Client, image string, snaps []string) {
	t.Helper()
	imgs, err := ec.DescribeImages(context.Background(), &ec2.DescribeImagesInput{Owners: []string{"self"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, img := range imgs.Images {
		if aws.ToString(img.ImageId) == image {
			t.Errorf("AMI %s still registered", image)
		}
	}
	all, err := ec.DescribeSnapshots(context.Background(), &ec2.DescribeSnapshotsInput{OwnerIds: []string{"self"}})
	if err != nil {
		t.Fatal(err)
	}
	left := map[string]bool{}
	for _, s := range all.Snapshots {
		left[aws.ToString(s.SnapshotId)] = true
	}
	for _, id := range snaps {
		if left[id] {
			t.Errorf("snapshot %s of %s still there", id, image)
		}
	}
}
