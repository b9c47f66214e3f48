package aws

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/smithy-go"
)

// InstanceTags reads the tags of one EC2 instance in account and region,
// the tags the inventory's target selectors match, so the intake places a
// compliance event in the environment the cycle would patch it in. found is
// false when EC2 does not know the instance (terminated, or another
// account's); err is a failed call, which the caller retries.
func (p *Provider) InstanceTags(ctx context.Context, account, region, instanceID string) (tags map[string]string, found bool, err error) {
	c := p.clientsFor(account, region)
	var out *ec2.DescribeInstancesOutput
	err = p.call(ctx, account, func() (err error) {
		out, err = c.ec2.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{instanceID}})
		return err
	})
	if isNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("ec2 DescribeInstances %s in %s/%s: %w", instanceID, account, region, err)
	}
	for _, r := range out.Reservations {
		for _, i := range r.Instances {
			if aws.ToString(i.InstanceId) != instanceID {
				continue
			}
			tags = make(map[string]string, len(i.Tags))
			for _, t := range i.Tags {
				tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			return tags, true, nil
		}
	}
	return nil, false, nil
}

// isNotFound is EC2's answer for an instance id it does not know.
func isNotFound(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && (ae.ErrorCode() == "InvalidInstanceID.NotFound" || ae.ErrorCode() == "InvalidInstanceID.Malformed")
}
