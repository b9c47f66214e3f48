package aws

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

// sensorDocContent is the install document as an operator registers it:
// it takes the names of the SecureString parameters and reads them on the
// instance, so the values never appear in the command.
const sensorDocContent = `{
  "schemaVersion": "2.2",
  "description": "Install or upgrade the CrowdStrike Falcon sensor",
  "parameters": {
    "CIDParameterName": {"type": "String", "description": "SecureString parameter holding the CID"},
    "InstallTokenParameterName": {"type": "String", "default": "", "description": "SecureString parameter holding the installer token"}
  },
  "mainSteps": [{"action": "aws:runShellScript", "name": "install", "inputs": {"runCommand": [
    "CID=$(aws ssm get-parameter --with-decryption --name '{{CIDParameterName}}' --query Parameter.Value --output text)",
    "/opt/CrowdStrike/falconctl -s -f --cid=\"$CID\" && systemctl restart falcon-sensor"
  ]}}]
}`

// TestSensorDeploySSMSendCommandWithTheDocument: the AWS installer sends
// the configured document (≤ 50 instances a command) with only the names
// of the secret parameters, finds its command again by tag instead of
// re-sending, and reads each instance's outcome from GetCommandInvocation;
// the CID's value is in none of the command's parameters nor the logs.
func TestSensorDeploySSMSendCommandWithTheDocument(t *testing.T) {
	moto := awstest.Moto(t)
	fake := awstest.NewServer(t)
	fake.Upstream = moto
	ctx := context.Background()
	const cid = "0123456789ABCDEF0123456789ABCDEF-12"
	c := ssm.NewFromConfig(motoConfig(moto, acctA), func(o *ssm.Options) { o.BaseEndpoint = aws.String(moto) })
	if _, err := c.CreateDocument(ctx, &ssm.CreateDocumentInput{Name: aws.String("Patchgate-FalconInstall"),
		Content: aws.String(sensorDocContent), DocumentType: ssmtypes.DocumentTypeCommand, DocumentFormat: ssmtypes.DocumentFormatJson}); err != nil {
		t.Fatalf("moto CreateDocument: %v", err)
	}
	if _, err := c.PutParameter(ctx, &ssm.PutParameterInput{Name: aws.String("/patchgate/falcon/cid"), Value: aws.String(cid),
		Type: ssmtypes.ParameterTypeSecureString}); err != nil {
		t.Fatalf("moto PutParameter: %v", err)
	}
	ids := runInstances(t, moto, acctA, 55, map[string]string{"Name": "web"})
	var logs bytes.Buffer
	cfg := testConfig(moto, fake.URL)
	cfg.Log = slog.New(slog.NewTextHandler(&logs, nil))
	cfg.Sensor = SensorInstall{Document: "Patchgate-FalconInstall", CIDParameter: "/patchgate/falcon/cid", TokenParameter: "/patchgate/falcon/token"}
	p := newProvider(t, cfg)
	req := runbooks.SensorInstallRequest{Tag: "SD-acme-20261206-2000-abc/b0/a0", Deploy: "SD-acme-20261206-2000-abc", Tenant: "acme", Env: "nonprod",
		Hosts: hostsOf(ids)}

	if _, found, err := p.FindInstall(ctx, req); err != nil || found {
		t.Fatalf("FindInstall before sending = %v, %v", found, err)
	}
	st, err := p.StartInstall(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if n := fake.Calls("ssm.SendCommand"); n != 2 {
		t.Fatalf("SendCommand called %d times for 55 instances, want 2", n)
	}
	again, found, err := p.FindInstall(ctx, req)
	if err != nil || !found {
		t.Fatalf("FindInstall after sending = %v, %v", found, err)
	}
	if _, err := p.StartInstall(ctx, req); err != nil || fake.Calls("ssm.SendCommand") != 2 {
		t.Fatalf("a second StartInstall re-sent: %d SendCommand, %v", fake.Calls("ssm.SendCommand"), err)
	}
	for _, h := range []string{st.Handle, again.Handle} {
		ps, err := p.PollInstall(ctx, req, h)
		if err != nil {
			t.Fatal(err)
		}
		if !ps.Done || len(ps.Hosts) != 55 || ps.Source != runbooks.SourceAWSSSM {
			t.Fatalf("poll = done %v, %d hosts, source %s; want 55 finished from aws-ssm", ps.Done, len(ps.Hosts), ps.Source)
		}
		for _, r := range ps.Hosts {
			if !r.OK {
				t.Errorf("%s failed: %s", r.HostID, r.Detail)
			}
		}
	}
	out, err := c.ListCommands(ctx, &ssm.ListCommandsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Commands) != 2 {
		t.Fatalf("moto holds %d commands, want 2", len(out.Commands))
	}
	for _, cmd := range out.Commands {
		if aws.ToString(cmd.DocumentName) != "Patchgate-FalconInstall" || cmd.Parameters[ParamCID][0] != "/patchgate/falcon/cid" ||
			cmd.Parameters[ParamToken][0] != "/patchgate/falcon/token" || !strings.Contains(aws.ToString(cmd.Comment), req.Tag) {
			t.Errorf("command doc %s params %v comment %q", aws.ToString(cmd.DocumentName), cmd.Parameters, aws.ToString(cmd.Comment))
		}
		for k, vs := range cmd.Parameters {
			if strings.Contains(strings.Join(vs, " "), cid) {
				t.Errorf("parameter %s carries the CID", k)
			}
		}
	}
	if strings.Contains(logs.String(), cid) {
		t.Errorf("the CID reached the log:\n%s", logs.String())
	}
}
