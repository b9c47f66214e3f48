package events_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	awsprovider "github.com/patchgate/patchgate/providers/aws"
	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/providers/aws/events"
	"github.com/patchgate/patchgate/providers/sim"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state/boltstore"
)

func TestMain(m *testing.M) { os.Exit(awstest.Main(m)) }

// motoAccount is the account moto puts every resource in.
const (
	motoAccount = "123456789012"
	region      = "us-east-1"
)

// rules are the Config rules the intake follows in these tests.
var rules = []string{"ec2-managedinstance-patch-compliance-status-check"}

var staticCreds = credentials.NewStaticCredentialsProvider("test", "test", "")

// tenants has one tenant whose nonprod and production environments are
// told apart by the tag the inventory's selectors use.
func tenants() []runbooks.Tenant {
	env := func(name string) runbooks.Environment {
		return runbooks.Environment{Name: name, Targets: []runbooks.Target{{Cloud: runbooks.AWS, Account: motoAccount,
			Regions: []string{region}, Selector: map[string]string{"patchgate:env": name}}}}
	}
	return []runbooks.Tenant{{Name: "acme-cu", Environments: []runbooks.Environment{env("nonprod"), env("production")}}}
}

// fixture is the documented event (testdata/SOURCE.md) with id, account,
// instance and compliance replaced.
func fixture(t testing.TB, id, account, instance, compliance string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "config-compliance-change.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["id"], m["account"] = id, account
	d := m["detail"].(map[string]any)
	d["resourceId"], d["awsAccountId"] = instance, account
	d["newEvaluationResult"].(map[string]any)["complianceType"] = compliance
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// recordingSink is the engine for unknown instances and refusals, plus a
// recording stand-in for the remediation runbook's IntakeComplianceEvent
// (CONTRACTS §5): idempotent on the event id, it counts calls and the
// events it took for the first time.
type recordingSink struct {
	*runbooks.Engine
	mu    sync.Mutex
	calls map[string]int
	first map[string]runbooks.ComplianceEvent
}

func (s *recordingSink) IntakeComplianceEvent(_ context.Context, ev runbooks.ComplianceEvent) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls[ev.ID]++
	if _, ok := s.first[ev.ID]; !ok {
		s.first[ev.ID] = ev
	}
	return "RM-" + ev.Tenant + "-1", nil
}

func (s *recordingSink) recorded() map[string]runbooks.ComplianceEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]runbooks.ComplianceEvent, len(s.first))
	for k, v := range s.first {
		out[k] = v
	}
	return out
}

// notices is a chat that shows only the intake's notices.
type notices struct {
	mu       sync.Mutex
	unknown  []runbooks.ComplianceEvent
	refusals []runbooks.IntakeRefusal
}

func (n *notices) CycleChanged(context.Context, *runbooks.Cycle, []runbooks.Event) error { return nil }
func (n *notices) UnknownInstance(_ context.Context, ev runbooks.ComplianceEvent, _ string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.unknown = append(n.unknown, ev)
	return nil
}
func (n *notices) IntakeRefused(_ context.Context, r runbooks.IntakeRefusal) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.refusals = append(n.refusals, r)
	return nil
}

func (n *notices) counts() (int, int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	return len(n.unknown), len(n.refusals)
}

// newSink builds a real engine on a bbolt store with the sim fleet as its
// other ports; replicas share one store as replicas share Redis.
func newSink(t testing.TB, chat *notices) *recordingSink {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	fleet, err := sim.New(sim.Config{Tenants: tenants()})
	if err != nil {
		t.Fatal(err)
	}
	e, err := runbooks.New(runbooks.Config{Replica: "r1"},
		runbooks.Deps{Store: st, Inventory: fleet, Backups: fleet, Patcher: fleet, Sensors: fleet, Health: fleet, Chat: chat,
			Log: slog.New(slog.DiscardHandler)}, tenants(), runbooks.DefaultPipeline())
	if err != nil {
		t.Fatal(err)
	}
	return &recordingSink{Engine: e, calls: map[string]int{}, first: map[string]runbooks.ComplianceEvent{}}
}

// rig is moto with an intake queue whose redrive policy moves a message to
// the dead-letter queue after maxReceives receives, and EC2 instances
// tagged by environment.
type rig struct {
	sqs       *sqs.Client
	ec2       *ec2.Client
	provider  *awsprovider.Provider
	queue     string
	dlq       string
	instances map[string]string // env → instance id
}

const maxReceives = 2

// newRig makes the queues; visibility is the intake queue's visibility
// timeout: "0" redelivers a message not deleted at once (poison tests),
// "30" is a deployment's (a message read by one replica is hidden from the
// others while it is handled).
func newRig(t testing.TB, visibility string) *rig {
	t.Helper()
	ctx := context.Background()
	url := awstest.Moto(t)
	cfg := aws.Config{Region: region, Credentials: staticCreds}
	r := &rig{
		sqs:       sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(url) }),
		ec2:       ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(url) }),
		instances: map[string]string{},
	}
	p, err := awsprovider.New(ctx, awsprovider.Config{Region: region, EndpointURL: url, Credentials: staticCreds, StepTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r.provider = p
	dlq, err := r.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("patchgate-intake-dlq")})
	if err != nil {
		t.Fatal(err)
	}
	r.dlq = aws.ToString(dlq.QueueUrl)
	redrive, _ := json.Marshal(map[string]string{
		"deadLetterTargetArn": "arn:aws:sqs:" + region + ":" + motoAccount + ":patchgate-intake-dlq",
		"maxReceiveCount":     strconv.Itoa(maxReceives),
	})
	q, err := r.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("patchgate-intake"),
		Attributes: map[string]string{"RedrivePolicy": string(redrive), "VisibilityTimeout": visibility}})
	if err != nil {
		t.Fatal(err)
	}
	r.queue = aws.ToString(q.QueueUrl)
	for _, env := range []string{"nonprod", "production", "unowned"} {
		out, err := r.ec2.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: aws.String("ami-12c6146b"), MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
			TagSpecifications: []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeInstance,
				Tags: []ec2types.Tag{{Key: aws.String("patchgate:env"), Value: aws.String(env)}}}}})
		if err != nil {
			t.Fatal(err)
		}
		r.instances[env] = aws.ToString(out.Instances[0].InstanceId)
	}
	return r
}

func (r *rig) send(t testing.TB, body []byte) string {
	t.Helper()
	out, err := r.sqs.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(r.queue), MessageBody: aws.String(string(body))})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.MessageId)
}

// depth is the messages in a queue, visible or in flight.
func (r *rig) depth(t testing.TB, queue string) int {
	t.Helper()
	out, err := r.sqs.GetQueueAttributes(context.Background(), &sqs.GetQueueAttributesInput{QueueUrl: aws.String(queue),
		AttributeNames: []sqstypes.QueueAttributeName{"ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range out.Attributes {
		i, _ := strconv.Atoi(v)
		n += i
	}
	return n
}

func (r *rig) poller(t testing.TB, sink events.Sink, log io.Writer) *events.Poller {
	t.Helper()
	in := events.NewIntake(sink, events.NewTriage(tenants(), r.provider, nil), rules, slog.New(slog.NewTextHandler(log, nil)))
	p, err := events.NewPoller(r.sqs, in, events.PollerConfig{QueueURL: r.queue, Wait: time.Second, Workers: 4, StepTimeout: 20 * time.Second}, slog.New(slog.NewTextHandler(log, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// logBuffer is a log sink safe for the poller's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
