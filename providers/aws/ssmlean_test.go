package aws

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/smithy-go"

	"github.com/patchgate/patchgate/runbooks"
)

// describeInstanceInformationJSON is shaped like SSM's documented
// DescribeInstanceInformation answer (every InstanceInformation member,
// nested AssociationOverview, booleans, epoch-second timestamps), with
// what a lean reader can get wrong: escapes in a string it keeps and in
// one it skips, a null member, members in an unusual order, an entry with
// only an ID, unknown members (SSM adds members over time).
const describeInstanceInformationJSON = `{
  "InstanceInformationList": [
    {
      "ActivationId": null,
      "AgentVersion": "3.3.1142.0",
      "AssociationOverview": {"DetailedStatus": "Success", "InstanceAssociationStatusAggregatedCount": {"Success": 3}},
      "AssociationStatus": "Success",
      "ComputerName": "ip-10-0-0-157.ec2.internal \u2603 \"q\"",
      "IPAddress": "10.0.0.157",
      "IamRole": "AmazonSSMRoleForInstancesQuickSetup",
      "InstanceId": "i-1234567890abcdef0",
      "IsLatestVersion": false,
      "LastAssociationExecutionDate": 1.721744843915E9,
      "LastPingDateTime": 1721745100.25,
      "LastSuccessfulAssociationExecutionDate": 1721744843,
      "Name": "web \\ 1",
      "PingStatus": "Online",
      "PlatformName": "Amazon Linux",
      "PlatformType": "Linux",
      "PlatformVersion": "2023",
      "RegistrationDate": 1.7E9,
      "ResourceType": "EC2Instance",
      "SourceId": "i-1234567890abcdef0",
      "SourceType": "AWS::EC2::Instance",
      "SomethingNew": [1, {"a": [true, null]}, "x"]
    },
    {"PlatformVersion": "10.0.20348", "PingStatus": "ConnectionLost", "InstanceId": "i-0598c7d356eba48d7",
     "PlatformName": "Microsoft Windows Server 2022 Datacenter", "AgentVersion": "3.2.582.0", "ComputerName": null},
    {"InstanceId": "i-0000000000000000a"}
  ],
  "NextToken": "AAEAAcXp2RzS+eyJ2IjoiMiJ9\/=="
}`

// describeInstancePatchStatesJSON is shaped like SSM's documented
// DescribeInstancePatchStates answer (every InstancePatchState member).
const describeInstancePatchStatesJSON = `{"InstancePatchStates":[
  {"BaselineId":"pb-0c10e65780EXAMPLE","CriticalNonCompliantCount":1,"FailedCount":0,"InstallOverrideList":"s3://bucket/list.yaml",
   "InstalledCount":45,"AvailableSecurityUpdateCount":4,"InstalledOtherCount":396,"InstalledPendingRebootCount":0,"InstalledRejectedCount":0,
   "InstanceId":"i-1234567890abcdef0","LastNoRebootInstallOperationTime":1721744843.5,"MissingCount":3,"NotApplicableCount":2727,
   "Operation":"Scan","OperationEndTime":1.721745121E9,"OperationStartTime":1721745100,"OtherNonCompliantCount":0,
   "OwnerInformation":"owner \"x\"","PatchGroup":"","RebootOption":"NoReboot","SecurityNonCompliantCount":1,
   "SnapshotId":"b0e65479-79cc-4bb7-8ee3-EXAMPLE","UnreportedNotApplicableCount":-1},
  {"InstanceId":"i-0598c7d356eba48d7","Operation":"Install","OperationEndTime":1698200400,"MissingCount":0,"FailedCount":2,
   "LastNoRebootInstallOperationTime":null,"BaselineId":"pb-1","OperationStartTime":1698200340}
],"NextToken":null}`

// ssmAgainst is an SSM client whose every call is answered by h.
func ssmAgainst(t *testing.T, h http.HandlerFunc) *ssm.Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return ssm.New(ssm.Options{Region: region, Credentials: staticCreds, BaseEndpoint: aws.String(srv.URL),
		RetryMaxAttempts: 1})
}

func jsonAnswer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		if status != 200 {
			var e struct {
				Type string `json:"__type"`
			}
			_ = json.Unmarshal([]byte(body), &e)
			w.Header().Set("X-Amzn-ErrorType", e.Type)
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

// joined is what joinSSM makes of the answers: each host as the
// inventory reports it.
func joined(infos []ssmtypes.InstanceInformation, states []ssmtypes.InstancePatchState) string {
	var b strings.Builder
	for _, i := range infos {
		h := runbooks.Host{ID: aws.ToString(i.InstanceId), Name: aws.ToString(i.InstanceId)}
		applyInfo(&h, infoOf(i))
		fmt.Fprintf(&b, "%+v\n", h)
	}
	for _, st := range states {
		fmt.Fprintf(&b, "%s missing=%d last=%v\n", aws.ToString(st.InstanceId), st.MissingCount, lastInstall(st))
	}
	return b.String()
}

// joinedRecords is joined as the inventory makes it: the answers read by
// decodeInfoRecords and decodeStateRecords for a batch of the instances
// the SDK read (plus one SSM does not answer for), applied to its hosts.
func joinedRecords(t *testing.T, infos []ssmtypes.InstanceInformation, states []ssmtypes.InstancePatchState) string {
	t.Helper()
	idx := batchIndex{"i-not-in-answers": 0}
	var hosts []runbooks.Host
	for _, i := range infos {
		id := aws.ToString(i.InstanceId)
		idx[id] = int32(len(hosts))
		hosts = append(hosts, runbooks.Host{ID: id, Name: id})
	}
	ir, next, err := decodeInfoRecords([]byte(describeInstanceInformationJSON), idx)
	if err != nil || aws.ToString(next) == "" {
		t.Fatalf("info records: %v, next token %v", err, next)
	}
	for _, r := range ir {
		applyInfo(&hosts[r.host], r.info)
	}
	var b strings.Builder
	for _, h := range hosts {
		fmt.Fprintf(&b, "%+v\n", h)
	}
	sr, next, err := decodeStateRecords([]byte(describeInstancePatchStatesJSON), batchIndex{"i-1234567890abcdef0": 0, "i-0598c7d356eba48d7": 1})
	if err != nil || next != nil || len(sr) != len(states) {
		t.Fatalf("state records %v: %v, next token %v", sr, err, next)
	}
	for k, r := range sr {
		fmt.Fprintf(&b, "%s missing=%d last=%v\n", aws.ToString(states[r.host].InstanceId), r.missing, r.last)
		if int(r.host) != k {
			t.Errorf("state record %d is of host %d", k, r.host)
		}
	}
	if sr, _, _ := decodeStateRecords([]byte(describeInstancePatchStatesJSON), batchIndex{"i-other": 0}); len(sr) != 0 {
		t.Errorf("records of instances outside the batch: %v", sr)
	}
	return b.String()
}

// The lean readers give joinSSM what the SDK's decoder gives it: the same
// agents, platforms, names, missing counts, install times and next tokens.
func TestInventoryLeanSSMMatchesTheSDK(t *testing.T) {
	ctx := context.Background()
	c := ssmAgainst(t, jsonAnswer(200, describeInstanceInformationJSON))
	in := &ssm.DescribeInstanceInformationInput{}
	sdkInfo, err := c.DescribeInstanceInformation(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	leanInfo, err := c.DescribeInstanceInformation(ctx, in, leanInstanceInfo)
	if err != nil {
		t.Fatal(err)
	}
	c = ssmAgainst(t, jsonAnswer(200, describeInstancePatchStatesJSON))
	sin := &ssm.DescribeInstancePatchStatesInput{InstanceIds: []string{"i-1234567890abcdef0"}}
	sdkStates, err := c.DescribeInstancePatchStates(ctx, sin)
	if err != nil {
		t.Fatal(err)
	}
	leanStates, err := c.DescribeInstancePatchStates(ctx, sin, leanPatchStates)
	if err != nil {
		t.Fatal(err)
	}
	// Patch states are read whole: patch verification reads FailedCount.
	sdkJSON, _ := json.Marshal(sdkStates.InstancePatchStates)
	leanJSON, _ := json.Marshal(leanStates.InstancePatchStates)
	if string(leanJSON) != string(sdkJSON) {
		t.Errorf("lean patch states\n%s\nSDK\n%s", leanJSON, sdkJSON)
	}
	want := joined(sdkInfo.InstanceInformationList, sdkStates.InstancePatchStates)
	got := joined(leanInfo.InstanceInformationList, leanStates.InstancePatchStates)
	if got != want || len(leanInfo.InstanceInformationList) != 3 || len(leanStates.InstancePatchStates) != 2 {
		t.Fatalf("lean\n%s\nSDK\n%s", got, want)
	}
	if !strings.Contains(got, `ip-10-0-0-157.ec2.internal ☃ "q"`) || !strings.Contains(got, "missing=3 last=2024-07-23 14:27:23.5 +0000 UTC") {
		t.Errorf("lean reading:\n%s", got)
	}
	// The inventory's own readers (records of a batch's hosts) give the
	// same hosts, and drop entries of instances outside the batch.
	if rec := joinedRecords(t, sdkInfo.InstanceInformationList, sdkStates.InstancePatchStates); rec != want {
		t.Errorf("records\n%s\nSDK\n%s", rec, want)
	}
	if aws.ToString(leanInfo.NextToken) != aws.ToString(sdkInfo.NextToken) || aws.ToString(leanInfo.NextToken) == "" {
		t.Errorf("next token %q, SDK %q", aws.ToString(leanInfo.NextToken), aws.ToString(sdkInfo.NextToken))
	}
	if leanStates.NextToken != nil || sdkStates.NextToken != nil {
		t.Errorf("null next token read as %v (SDK %v)", leanStates.NextToken, sdkStates.NextToken)
	}
}

// A body cut anywhere, or one that is not a whole JSON document, is an
// error, never a shorter list: a host must not turn unmanaged silently.
func TestInventoryLeanSSMRefusesTruncatedBodies(t *testing.T) {
	for _, doc := range []string{describeInstanceInformationJSON, describeInstancePatchStatesJSON} {
		end := strings.LastIndex(doc, "}")
		for cut := range end {
			_, e1 := decodeInstanceInformation([]byte(doc[:cut]))
			_, e2 := decodePatchStates([]byte(doc[:cut]))
			_, _, e3 := decodeInfoRecords([]byte(doc[:cut]), batchIndex{})
			_, _, e4 := decodeStateRecords([]byte(doc[:cut]), batchIndex{})
			if e1 == nil || e2 == nil || e3 == nil || e4 == nil {
				t.Fatalf("body cut at %d of %d decoded without error (%v, %v, %v, %v)", cut, len(doc), e1, e2, e3, e4)
			}
		}
	}
	for _, bad := range []string{"", "null", "[]", "<html><body>502 Bad Gateway</body></html>", `{"InstanceInformationList":[{}]}x`,
		`{"InstanceInformationList":[{"InstanceId":"i-1",}]}`, `{"InstanceInformationList":[{"InstanceId":"i-1"} {}]}`,
		`{"InstanceInformationList":[{"x":tru}]}`, `{"InstanceInformationList":[{"x":01}]}`, `{"InstanceInformationList":[{"InstanceId":"a` + "\n" + `"}]}`} {
		_, err := decodeInstanceInformation([]byte(bad))
		_, _, err2 := decodeInfoRecords([]byte(bad), batchIndex{"i-1": 0})
		if err == nil || err2 == nil {
			t.Errorf("%q decoded without error (%v, %v)", bad, err, err2)
		}
	}
	c := ssmAgainst(t, jsonAnswer(200, describeInstanceInformationJSON[:len(describeInstanceInformationJSON)/2]))
	_, err := c.DescribeInstanceInformation(context.Background(), &ssm.DescribeInstanceInformationInput{}, leanInstanceInfo)
	if _, ok := errors.AsType[*smithy.DeserializationError](err); !ok {
		t.Fatalf("truncated answer: err = %v, want a deserialization error", err)
	}
}

// Error answers still go through the SDK's deserializer: SSM's throttling
// and InvalidInstanceId codes survive (the retryer, the limiter and the
// batch splitting read them).
func TestInventoryLeanSSMKeepsTheSDKErrors(t *testing.T) {
	c := ssmAgainst(t, jsonAnswer(400, `{"__type":"ThrottlingException","message":"Rate exceeded"}`))
	_, err := c.DescribeInstancePatchStates(context.Background(), &ssm.DescribeInstancePatchStatesInput{InstanceIds: []string{"i-1"}}, leanPatchStates)
	if api, ok := errors.AsType[smithy.APIError](err); !ok || api.ErrorCode() != "ThrottlingException" {
		t.Fatalf("err = %v, want SSM's ThrottlingException", err)
	}
	c = ssmAgainst(t, jsonAnswer(400, `{"__type":"InvalidInstanceId","Message":"Instances [[i-1]] not in a valid state for account"}`))
	_, err = c.DescribeInstanceInformation(context.Background(), &ssm.DescribeInstanceInformationInput{}, leanInstanceInfo)
	if _, ok := errors.AsType[*ssmtypes.InvalidInstanceId](err); !ok {
		t.Fatalf("err = %v, want InvalidInstanceId", err)
	}
}

// Whatever a peer sends, the lean readers answer with a list or an error,
// never a panic.
func FuzzDecodeSSMAnswers(f *testing.F) {
	f.Add([]byte(describeInstanceInformationJSON))
	f.Add([]byte(describeInstancePatchStatesJSON))
	f.Add([]byte(`{"InstancePatchStates":[{"MissingCount":1e400,"OperationEndTime":-1}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_, _ = decodeInstanceInformation(body)
		_, _ = decodePatchStates(body)
		idx := batchIndex{"i-1234567890abcdef0": 0, "i-0598c7d356eba48d7": 1}
		if recs, _, err := decodeInfoRecords(body, idx); err == nil {
			for _, r := range recs {
				_ = []int{0, 1}[r.host] // records are of the batch's hosts only
			}
		}
		if recs, _, err := decodeStateRecords(body, idx); err == nil {
			for _, r := range recs {
				_ = []int{0, 1}[r.host]
			}
		}
	})
}

// The lean readers check numbers by JSON's grammar, as json.Valid does.
func FuzzJSONNumberGrammar(f *testing.F) {
	for _, s := range []string{"0", "-0", "01", "1.", ".5", "1e", "1e+", "1E-7", "-", "+1", "12.50e10", "1.7E9", "--1", "0e0", "00"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, c := range b {
			if !strings.ContainsRune("0123456789+-.eE", rune(c)) {
				return // json.Valid would judge another kind of value
			}
		}
		if got, want := validNumber(b), json.Valid(b); got != want {
			t.Fatalf("validNumber(%q) = %v, json.Valid says %v", b, got, want)
		}
	})
}
