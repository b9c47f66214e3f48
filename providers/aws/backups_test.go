package aws

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/rds"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestBackupsMoto: images for every host and snapshots for the target's
// RDS instance and Aurora cluster, all available; a resumed step finds them
// by tag and creates nothing new.
func TestBackupsMoto(t *testing.T) {
	moto := awstest.Moto(t)
	ctx := context.Background()
	ids := runInstances(t, moto, acctA, 2, map[string]string{"Name": "app"})
	r := rds.NewFromConfig(motoConfig(moto, acctA), func(o *rds.Options) { o.BaseEndpoint = aws.String(moto) })
	if _, err := r.CreateDBInstance(ctx, &rds.CreateDBInstanceInput{DBInstanceIdentifier: aws.String("ledger"),
		DBInstanceClass: aws.String("db.t3.micro"), Engine: aws.String("postgres"), MasterUsername: aws.String("u"),
		MasterUserPassword: aws.String("password123"), AllocatedStorage: aws.Int32(20)}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateDBCluster(ctx, &rds.CreateDBClusterInput{DBClusterIdentifier: aws.String("core"),
		Engine: aws.String("aurora-postgresql"), MasterUsername: aws.String("u"), MasterUserPassword: aws.String("password123")}); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(moto, "")
	cfg.Backup.NoReboot = true
	cfg.Tenants = []runbooks.Tenant{{Name: "acme", Environments: []runbooks.Environment{awsEnv("nonprod", nil, "ledger", "cluster:core")}}}
	p := newProvider(t, cfg)
	req := opRequest("acme-20261122-0200-abc/nonprod/backup/0", hostsOf(ids))

	if _, found, err := p.FindBackup(ctx, req); err != nil || found {
		t.Fatalf("FindBackup before any backup = %v, %v; want not found", found, err)
	}
	h, err := p.StartBackup(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	st, err := p.BackupStatus(ctx, h)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Done || st.Total != 4 || st.Succeeded != 4 || st.Failed != 0 {
		t.Fatalf("status = %+v, want 4 of 4 available (2 images, 2 snapshots)", st)
	}
	if want := (runbooks.Made{Images: 2, DBSnapshots: 1, DBClusterSnapshots: 1}); st.Made != want {
		t.Errorf("made %+v, want %+v", st.Made, want)
	}
	images := taggedImages(t, moto, req.Tag)
	if len(images) != 2 {
		t.Fatalf("moto has %d images tagged %s, want 2", len(images), req.Tag)
	}
	for _, img := range images {
		tags := map[string]string{}
		for _, tg := range img.Tags {
			tags[aws.ToString(tg.Key)] = aws.ToString(tg.Value)
		}
		if tags[tagCycle] != req.Cycle || tags[tagStage] != "nonprod" || tags[tagTenant] != "acme" {
			t.Errorf("image %s tags = %v", aws.ToString(img.ImageId), tags)
		}
	}
	if _, err := r.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{
		DBClusterSnapshotIdentifier: aws.String(snapshotID(req.Tag, "core"))}); err != nil {
		t.Errorf("cluster snapshot: %v", err)
	}

	// Resume: found by tag, same resources, nothing new created.
	h2, found, err := p.FindBackup(ctx, req)
	if err != nil || !found {
		t.Fatalf("FindBackup after StartBackup = %v, %v", found, err)
	}
	if imagesOf(t, h2) != imagesOf(t, h) {
		t.Errorf("found handle images %s, started %s", imagesOf(t, h2), imagesOf(t, h))
	}
	if _, err := p.StartBackup(ctx, req); err != nil {
		t.Fatal(err)
	}
	if n := len(taggedImages(t, moto, req.Tag)); n != 2 {
		t.Errorf("a repeated StartBackup left %d images, want still 2", n)
	}
	if _, found, _ := p.FindBackup(ctx, opRequest("other/nonprod/backup/1", hostsOf(ids))); found {
		t.Error("FindBackup found a backup for a tag never used")
	}
}

// TestBackupTimeout: an image that never becomes available fails the
// backup once the timeout has passed, naming the host.
func TestBackupTimeout(t *testing.T) {
	moto := awstest.Moto(t)
	now := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	cfg := testConfig(moto, "")
	cfg.Backup.Timeout = time.Hour
	cfg.Clock = runbooks.ClockFunc(func() time.Time { return now })
	p := newProvider(t, cfg)
	h := handle{Kind: "backup", Tag: "t", Started: now, Hosts: []hostLabel{{ID: "i-gone", Name: "db-proxy"}},
		Parts: []opPart{{Account: acctA, Region: region, Images: map[string]string{"i-gone": "ami-00000000000000000"}}}}.encode()
	st, err := p.BackupStatus(context.Background(), h)
	if err != nil || st.Done {
		t.Fatalf("before the timeout: %+v, %v; want pending", st, err)
	}
	now = now.Add(2 * time.Hour)
	st, err = p.BackupStatus(context.Background(), h)
	if err != nil {
		t.Fatal(err)
	}
	if !st.Done || st.Failed != 1 || len(st.Findings) != 1 || st.Findings[0].HostName != "db-proxy" ||
		!strings.Contains(st.Findings[0].Reason, "not available after 1h0m0s") {
		t.Fatalf("after the timeout: %+v", st)
	}
}

func taggedImages(t *testing.T, moto, tag string) []ec2types.Image {
	t.Helper()
	c := ec2.NewFromConfig(motoConfig(moto, acctA), func(o *ec2.Options) { o.BaseEndpoint = aws.String(moto) })
	out, err := c.DescribeImages(context.Background(), &ec2.DescribeImagesInput{Owners: []string{"self"},
		Filters: []ec2types.Filter{{Name: aws.String("tag:" + tagKey), Values: []string{tag}}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Images
}

func imagesOf(t *testing.T, hs string) string {
	t.Helper()
	h, err := decodeHandle(hs, "backup")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(h.Parts[0].Images)
	return string(b)
}
