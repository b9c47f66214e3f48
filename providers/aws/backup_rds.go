package aws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rds"
	rdstypes "github.com/aws/aws-sdk-go-v2/service/rds/types"

	"github.com/patchgate/patchgate/runbooks"
)

// backupDB is a database of req's environment with its account.
type backupDB struct {
	database
	account string
}

// databases are the RDS databases the request's environment lists.
func (p *Provider) databases(req runbooks.OpRequest) []backupDB {
	var out []backupDB
	for _, t := range p.cfg.Tenants {
		if t.Name != req.Tenant {
			continue
		}
		env, ok := t.Env(req.Env)
		if !ok {
			continue
		}
		for _, tg := range env.Targets {
			if tg.Cloud != runbooks.AWS {
				continue
			}
			for _, d := range tg.Databases {
				out = append(out, backupDB{database: parseDatabase(d, p.regions(tg)[0]), account: tg.Account})
			}
		}
	}
	return out
}

// snapshot reports whether db's snapshot for req exists, creating it with
// create; the snapshot ID is deterministic, so "already exists" is success.
func (p *Provider) snapshot(ctx context.Context, req runbooks.OpRequest, db backupDB, create bool) (bool, error) {
	c := p.clientsFor(db.account, db.Region)
	id := snapshotID(req.Tag, db.ID)
	exists, err := p.snapshotExists(ctx, c, db.Cluster, id)
	if err != nil || exists || !create {
		return exists, err
	}
	err = p.call(ctx, c.account, func() error {
		var err error
		if db.Cluster {
			_, err = c.rds.CreateDBClusterSnapshot(ctx, &rds.CreateDBClusterSnapshotInput{
				DBClusterIdentifier: aws.String(db.ID), DBClusterSnapshotIdentifier: aws.String(id), Tags: rdsTags(req)})
		} else {
			_, err = c.rds.CreateDBSnapshot(ctx, &rds.CreateDBSnapshotInput{
				DBInstanceIdentifier: aws.String(db.ID), DBSnapshotIdentifier: aws.String(id), Tags: rdsTags(req)})
		}
		return err
	})
	var dup1 *rdstypes.DBSnapshotAlreadyExistsFault
	var dup2 *rdstypes.DBClusterSnapshotAlreadyExistsFault
	if err != nil && !errors.As(err, &dup1) && !errors.As(err, &dup2) {
		return false, fmt.Errorf("rds snapshot of %s in %s/%s: %w", db.ID, c.account, c.region, err)
	}
	return false, nil
}

func (p *Provider) snapshotExists(ctx context.Context, c *regional, cluster bool, id string) (bool, error) {
	st, err := p.snapshotStatus(ctx, c, cluster, id)
	return st != "", err
}

// snapshotStatus is a snapshot's status, "" when it does not exist.
func (p *Provider) snapshotStatus(ctx context.Context, c *regional, cluster bool, id string) (string, error) {
	var status string
	err := p.call(ctx, c.account, func() error {
		if cluster {
			out, err := c.rds.DescribeDBClusterSnapshots(ctx, &rds.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: aws.String(id)})
			if err == nil && len(out.DBClusterSnapshots) > 0 {
				status = aws.ToString(out.DBClusterSnapshots[0].Status)
			}
			return err
		}
		out, err := c.rds.DescribeDBSnapshots(ctx, &rds.DescribeDBSnapshotsInput{DBSnapshotIdentifier: aws.String(id)})
		if err == nil && len(out.DBSnapshots) > 0 {
			status = aws.ToString(out.DBSnapshots[0].Status)
		}
		return err
	})
	var nf1 *rdstypes.DBSnapshotNotFoundFault
	var nf2 *rdstypes.DBClusterSnapshotNotFoundFault
	if errors.As(err, &nf1) || errors.As(err, &nf2) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("rds describe snapshot %s in %s/%s: %w", id, c.account, c.region, err)
	}
	return status, nil
}
