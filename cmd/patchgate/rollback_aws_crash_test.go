package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/patchgate/patchgate/providers/aws/awstest"
)

// crashAWSAccount is moto's default account: the bot acts in it with its
// own identity (no role), which moto answers without STS.
const crashAWSAccount = "123456789012"

// TestRollbackCrashAWS: moto runs the instance, its pre-patch AMI
// (CreateImage) and the SSM patch commands; awstest answers the SSM
// inventory and baseline calls and, in front of moto's EC2,
// CreateReplaceRootVolumeTask and DescribeReplaceRootVolumeTasks. The
// restore is one replace-root-volume task from the AMI, polled through
// pending, in-progress and succeeded; serve is killed at each. The create
// must be sent exactly once: a child killed before it heard the answer
// finds the task by its tag instead of asking again (the client token
// would hide a second ask from the task count, not from this one).
func TestRollbackCrashAWS(t *testing.T) {
	rollbackCloudCrash(t, func(t *testing.T, k *stepKiller) crashCloud {
		moto := awstest.Moto(t)
		env := map[string]string{"AWS_ACCESS_KEY_ID": "AKIACRASHBOT", "AWS_SECRET_ACCESS_KEY": "test",
			"AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"}
		inst := crashAWSInstance(t, moto)
		ssm := awstest.NewServer(t)
		ssm.Upstream = moto
		ssm.AddBaseline(awstest.Baseline{ID: "pb-0crash000000000", OperatingSystem: "AMAZON_LINUX_2023",
			Severities: []string{"Critical", "High"}, Classifications: []string{"Security"}, ApproveAfterDays: 7}, "")
		ssm.Add(awstest.Instance{ID: inst, Account: crashAWSAccount, Name: "prod-app-01",
			SSM:     &awstest.Agent{PingStatus: "Online", AgentVersion: "3.3.1", PlatformName: "Amazon Linux", PlatformVersion: "2023"},
			Patches: &awstest.PatchState{Installed: 30, Operation: "Scan"}})
		rv := awstest.NewRootVolumes(t, moto)
		rv.OnStep, rv.OnRequest = k.step, k.request
		return crashCloud{
			providers: fmt.Sprintf("  aws:\n    region: us-east-1\n    accounts: [{id: %q, regions: [us-east-1]}]\n"+
				"    endpoints: {ec2: %q, ssm: %q, rds: %q, sts: %q}\n"+
				"    patch: {reboot_option: NoReboot, scan_wait: 5s}\n    backup: {no_reboot: true, timeout: 5m}\n",
				crashAWSAccount, rv.URL, ssm.URL, moto, moto),
			target: fmt.Sprintf("{cloud: aws, account: %q, regions: [us-east-1], selector: {app: crash}}", crashAWSAccount),
			env:    env,
			// AWS answers the access report; its SDK retries need 14s of the step budget.
			simulate: "sensors, health, pager", stepTimeout: "14s",
			steps:    []string{inst + "/create-task", inst + "/in-progress", inst + "/succeeded"},
			restores: func() int { return rv.Tasks(inst) },
			sends:    func() int { return rv.Calls("CreateReplaceRootVolumeTask") },
			bootDisk: func() bool {
				image, attached := rv.RootVolume(inst)
				return attached && image != ""
			},
			// EC2 swaps the root volume inside the task: never without one.
			attached: func() bool { _, attached := rv.RootVolume(inst); return attached },
		}
	})
}

// crashAWSInstance runs the production instance in moto.
func crashAWSInstance(t *testing.T, moto string) string {
	t.Helper()
	c := ec2.New(ec2.Options{Region: "us-east-1", BaseEndpoint: aws.String(moto),
		Credentials: credentials.NewStaticCredentialsProvider("AKIACRASHBOT", "test", "")})
	out, err := c.RunInstances(context.Background(), &ec2.RunInstancesInput{
		ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance, Tags: []ec2types.Tag{
			{Key: aws.String("Name"), Value: aws.String("prod-app-01")}, {Key: aws.String("app"), Value: aws.String("crash")}}}},
	})
	if err != nil {
		t.Fatalf("moto RunInstances: %v", err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}
