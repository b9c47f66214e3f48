package aws

import (
	"context"
	"fmt"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ssm"
	ssmtypes "github.com/aws/aws-sdk-go-v2/service/ssm/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/patchgate/patchgate/providers/aws/awstest"
	"github.com/patchgate/patchgate/runbooks"
)

var benchLatency = envLatency()

// BenchmarkInventory10k: 10,000 instances across 12 accounts behind the
// httptest EC2/SSM/STS fake, 40 ms per call. Each iteration is a fresh
// provider (so role assumption is included). Reported per iteration:
//
//	wall-ms      the concurrent inventory
//	seq-ms       the same calls made one after another (the paper's
//	             single-Lambda walk), measured once
//	speedup      seq-ms / wall-ms (target ≥ 10)
//	calls        every call the fake answered (STS, EC2 pages, SSM pages)
//	bound-ms     calls × latency ÷ (accounts × per-account bound)
//	vs-bound     wall-ms / bound-ms (target ≤ 1.5)
func BenchmarkInventory10k(b *testing.B) {
	for _, conc := range []int{4, 8} {
		b.Run(fmt.Sprintf("bound=%d", conc), func(b *testing.B) { benchInventory(b, conc) })
	}
}

func benchInventory(b *testing.B, conc int) {
	const accounts, perAccount = 12, 10000 / 12
	fake := awstest.NewServer(b)
	env, cfg := fleet(fake, accounts, perAccount)
	extra := 10000 - accounts*perAccount // 4: put them in the first account
	for i := range extra {
		fake.Add(awstest.Instance{ID: fmt.Sprintf("i-extra%04d", i), Account: env.Targets[0].Account, Name: "extra",
			Tags: map[string]string{"patchgate": "yes"}})
	}
	fake.Latency = benchLatency
	cfg.AccountConcurrency = conc
	ctx := context.Background()

	seq, seqCalls := sequentialWalk(b, fake, cfg, env)
	var wall, cpu time.Duration
	calls := 0
	b.ResetTimer()
	for range b.N {
		before := totalCalls(fake)
		cpu0 := processCPU()
		start := time.Now()
		p, err := New(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		hosts, err := p.Hosts(ctx, runbooks.Tenant{Name: "bench"}, env)
		if err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		cpu += processCPU() - cpu0
		calls = totalCalls(fake) - before
		if len(hosts) != 10000 {
			b.Fatalf("got %d hosts, want 10000", len(hosts))
		}
	}
	b.StopTimer()
	if calls != seqCalls {
		b.Logf("note: concurrent walk made %d calls, sequential %d", calls, seqCalls)
	}
	per := wall / time.Duration(b.N)
	bound := time.Duration(calls) * benchLatency / time.Duration(accounts*conc)
	b.ReportMetric(float64(per.Milliseconds()), "wall-ms")
	b.ReportMetric(float64(seq.Milliseconds()), "seq-ms")
	b.ReportMetric(float64(seq)/float64(per), "speedup")
	b.ReportMetric(float64(calls), "calls")
	b.ReportMetric(float64(bound.Milliseconds()), "bound-ms")
	b.ReportMetric(float64(per)/float64(bound), "vs-bound")
	// The fake and the SDK share this process: the CPU they burn (mostly
	// decoding 833-instance EC2 XML pages) is a floor of its own on a
	// 2-core machine, reported so the bound comparison can be read.
	b.ReportMetric(float64((cpu / time.Duration(b.N)).Milliseconds()), "cpu-ms")
}

// processCPU is the user+system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func totalCalls(s *awstest.Server) int {
	n := 0
	for _, op := range []string{"sts.AssumeRole", "ec2.DescribeInstances", "ssm.DescribeInstanceInformation", "ssm.DescribeInstancePatchStates"} {
		n += s.Calls(op)
	}
	return n
}

// sequentialWalk makes the same pages one call at a time: per account,
// assume the role, page EC2, then for each 50 instances page SSM's
// instance information and patch states.
func sequentialWalk(b *testing.B, fake *awstest.Server, cfg Config, env runbooks.Environment) (time.Duration, int) {
	b.Helper()
	ctx := context.Background()
	before := totalCalls(fake)
	start := time.Now()
	found := 0
	for _, t := range env.Targets {
		base := aws.Config{Region: region, Credentials: cfg.Credentials}
		stsc := sts.NewFromConfig(base, func(o *sts.Options) { o.BaseEndpoint = aws.String(fake.URL) })
		creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsc, "arn:aws:iam::"+t.Account+":role/patchgate"))
		if _, err := creds.Retrieve(ctx); err != nil {
			b.Fatal(err)
		}
		c := aws.Config{Region: region, Credentials: creds}
		e := ec2.NewFromConfig(c, func(o *ec2.Options) { o.BaseEndpoint = aws.String(fake.URL) })
		s := ssm.NewFromConfig(c, func(o *ssm.Options) { o.BaseEndpoint = aws.String(fake.URL) })
		var ids []string
		pages := ec2.NewDescribeInstancesPaginator(e, &ec2.DescribeInstancesInput{Filters: ec2Filters(t.Selector), MaxResults: aws.Int32(ec2PageSize)})
		for pages.HasMorePages() {
			out, err := pages.NextPage(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, h := range pageHosts(out, t.Account, region, "") {
				ids = append(ids, h.ID)
			}
		}
		for batch := range slices.Chunk(ids, ssmBatch) {
			info := ssm.NewDescribeInstanceInformationPaginator(s, &ssm.DescribeInstanceInformationInput{
				Filters:    []ssmtypes.InstanceInformationStringFilter{{Key: aws.String("InstanceIds"), Values: batch}},
				MaxResults: aws.Int32(ssmBatch)})
			for info.HasMorePages() {
				if _, err := info.NextPage(ctx); err != nil {
					b.Fatal(err)
				}
			}
			states := ssm.NewDescribeInstancePatchStatesPaginator(s, &ssm.DescribeInstancePatchStatesInput{InstanceIds: batch, MaxResults: aws.Int32(ssmBatch)})
			for states.HasMorePages() {
				if _, err := states.NextPage(ctx); err != nil {
					b.Fatal(err)
				}
			}
		}
		found += len(ids)
	}
	if found != 10000 {
		b.Fatalf("sequential walk found %d instances", found)
	}
	return time.Since(start), totalCalls(fake) - before
}

// envLatency lets a profiling run set PATCHGATE_BENCH_LATENCY=0.
func envLatency() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("PATCHGATE_BENCH_LATENCY")); err == nil {
		return d
	}
	return 40 * time.Millisecond
}
