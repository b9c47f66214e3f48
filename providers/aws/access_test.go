package aws

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/identitystore"
	idtypes "github.com/aws/aws-sdk-go-v2/service/identitystore/types"
	"github.com/aws/aws-sdk-go-v2/service/ssoadmin"
	ssotypes "github.com/aws/aws-sdk-go-v2/service/ssoadmin/types"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// TestAccessReportMoto: Identity Center assignments on the tenant's
// accounts (and only those) are reported with principal and permission set
// names, and the executor of each account is the assumed patchgate role.
func TestAccessReportMoto(t *testing.T) {
	moto := awstest.Moto(t)
	ctx := context.Background()
	cfg := aws.Config{Region: region, Credentials: staticCreds}
	sso := ssoadmin.NewFromConfig(cfg, func(o *ssoadmin.Options) { o.BaseEndpoint = aws.String(moto) })
	ids := identitystore.NewFromConfig(cfg, func(o *identitystore.Options) { o.BaseEndpoint = aws.String(moto) })
	inst, err := sso.ListInstances(ctx, &ssoadmin.ListInstancesInput{})
	if err != nil || len(inst.Instances) == 0 {
		t.Fatalf("moto sso-admin ListInstances: %v %+v", err, inst)
	}
	ia, store := inst.Instances[0].InstanceArn, inst.Instances[0].IdentityStoreId
	admin, err := sso.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: ia, Name: aws.String("AdministratorAccess"),
		SessionDuration: aws.String("PT1H")}) // moto defaults it to a number the SDK refuses
	if err != nil {
		t.Fatal(err)
	}
	ro, err := sso.CreatePermissionSet(ctx, &ssoadmin.CreatePermissionSetInput{InstanceArn: ia, Name: aws.String("ReadOnly"), SessionDuration: aws.String("PT8H")})
	if err != nil {
		t.Fatal(err)
	}
	alice, err := ids.CreateUser(ctx, &identitystore.CreateUserInput{IdentityStoreId: store, UserName: aws.String("alice"),
		DisplayName: aws.String("Alice"), Name: &idtypes.Name{GivenName: aws.String("Alice"), FamilyName: aws.String("Ng")}})
	if err != nil {
		t.Fatal(err)
	}
	ops, err := ids.CreateGroup(ctx, &identitystore.CreateGroupInput{IdentityStoreId: store, DisplayName: aws.String("platform-ops")})
	if err != nil {
		t.Fatal(err)
	}
	assign := func(account string, ps *string, kind ssotypes.PrincipalType, id *string) {
		t.Helper()
		if _, err := sso.CreateAccountAssignment(ctx, &ssoadmin.CreateAccountAssignmentInput{InstanceArn: ia, TargetId: aws.String(account),
			TargetType: ssotypes.TargetTypeAwsAccount, PermissionSetArn: ps, PrincipalType: kind, PrincipalId: id}); err != nil {
			t.Fatal(err)
		}
	}
	assign(acctA, admin.PermissionSet.PermissionSetArn, ssotypes.PrincipalTypeUser, alice.UserId)
	assign(acctA, ro.PermissionSet.PermissionSetArn, ssotypes.PrincipalTypeGroup, ops.GroupId)
	assign(acctB, admin.PermissionSet.PermissionSetArn, ssotypes.PrincipalTypeUser, alice.UserId) // not the tenant's

	p := newProvider(t, testConfig(moto, ""))
	tenant := runbooks.Tenant{Name: "acme", Environments: []runbooks.Environment{awsEnv("production", nil)}}
	r, err := p.AccessReport(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	want := []runbooks.AccessGrant{
		{Cloud: runbooks.AWS, Account: acctA, Principal: "alice", PrincipalType: "USER", PermissionSet: "AdministratorAccess", Source: "aws-identity-center"},
		{Cloud: runbooks.AWS, Account: acctA, Principal: "platform-ops", PrincipalType: "GROUP", PermissionSet: "ReadOnly", Source: "aws-identity-center"},
	}
	if len(r.Grants) != len(want) {
		t.Fatalf("grants = %+v, want %+v", r.Grants, want)
	}
	for i := range want {
		if r.Grants[i] != want[i] {
			t.Errorf("grant %d = %+v, want %+v", i, r.Grants[i], want[i])
		}
	}
	if len(r.Executors) != 1 || r.Executors[0].Account != acctA ||
		r.Executors[0].Principal != "arn:aws:sts::111111111111:assumed-role/patchgate/patchgate" {
		t.Errorf("executors = %+v", r.Executors)
	}
	if r.At.IsZero() {
		t.Error("report has no time")
	}
}
