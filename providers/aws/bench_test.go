package aws

import (
	"context"
	"fmt"
	"os"
	"runtime/pprof"
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

// BenchmarkInventory10k: 10,000 instances across 12 accounts behind the
// httptest EC2/SSM/STS fake, every call delayed by the latency, at 40 ms and
// 200 ms per call and per-account bounds 4 and 8, all in one run. Each
// iteration is a fresh provider (so role assumption is included). Reported
// per iteration:
//
//	wall-ms      the concurrent inventory
//	path-ms      its critical path: in the largest account, AssumeRole, then
//	             the EC2 pages one after another, then ⌈SSM calls ÷ bound⌉
//	             rounds of SSM calls (instance information and patch states
//	             for each 50 instances, side by side), times the latency
//	vs-path      wall-ms / path-ms (target ≤ 1.3)
//	cpu-ms       process CPU per inventory of 10,000 instances (target
//	             ≤ 300 ms); the fake shares the process, so this includes its
//	             own HTTP serving and is an upper bound on the provider's (a
//	             CPU profile splits the two: the fake's goroutines are
//	             labelled side=fake, the fleet's building side=setup, and
//	             what is left is the provider's)
//	calls        every call the fake answered
//	conns        connections the provider opened to the fake
//	seq-ms, speedup  with PATCHGATE_BENCH_SEQ=1 only: the same calls made one
//	             after another (the paper's single-Lambda walk), measured once
//
// PATCHGATE_BENCH_LATENCY=d runs only latency d (0 for profiling).
func BenchmarkInventory10k(b *testing.B) {
	latencies := []time.Duration{40 * time.Millisecond, 200 * time.Millisecond}
	if d, err := time.ParseDuration(os.Getenv("PATCHGATE_BENCH_LATENCY")); err == nil {
		latencies = []time.Duration{d}
	}
	for _, lat := range latencies {
		for _, conc := range []int{4, 8} {
			b.Run(fmt.Sprintf("latency=%s/bound=%d", lat, conc), func(b *testing.B) { benchInventory(b, lat, conc) })
		}
	}
}

func benchInventory(b *testing.B, latency time.Duration, conc int) {
	const accounts, perAccount = 12, 10000 / 12
	// The fake's server goroutines carry the label side=fake, so a CPU
	// profile of the benchmark splits the process's CPU between the fake
	// and the provider (go tool pprof -tagfocus side=fake / -tagignore).
	ctx := context.Background()
	pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("side", "fake")))
	fake := awstest.NewServer(b)
	pprof.SetGoroutineLabels(ctx)
	// Building the fleet (the fake encodes its answers as instances are
	// added) is labelled side=setup, so the unlabelled samples of a
	// profile are the provider's alone.
	var (
		env   runbooks.Environment
		cfg   Config
		extra = 10000 - accounts*perAccount // 4: put them in the first account
	)
	pprof.Do(ctx, pprof.Labels("side", "setup"), func(context.Context) {
		env, cfg = fleet(fake, accounts, perAccount)
		for i := range extra {
			fake.Add(awstest.Instance{ID: fmt.Sprintf("i-extra%04d", i), Account: env.Targets[0].Account, Name: "extra",
				Tags: map[string]string{"patchgate": "yes"}})
		}
	})
	fake.Latency = latency
	cfg.AccountConcurrency = conc

	var seq time.Duration
	seqCalls := -1
	if os.Getenv("PATCHGATE_BENCH_SEQ") != "" {
		seq, seqCalls = sequentialWalk(b, fake, cfg, env)
	}
	var wall, cpu time.Duration
	calls, conns := 0, 0
	b.ResetTimer()
	for range b.N {
		before, conns0 := totalCalls(fake), fake.Conns()
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
		conns = fake.Conns() - conns0
		if len(hosts) != 10000 {
			b.Fatalf("got %d hosts, want 10000", len(hosts))
		}
	}
	b.StopTimer()
	per := wall / time.Duration(b.N)
	path := criticalPath(perAccount+extra, conc) * latency
	b.ReportMetric(float64(per.Milliseconds()), "wall-ms")
	b.ReportMetric(float64(path.Milliseconds()), "path-ms")
	b.ReportMetric(float64(per)/float64(path), "vs-path")
	b.ReportMetric(float64((cpu / time.Duration(b.N)).Milliseconds()), "cpu-ms")
	b.ReportMetric(float64(calls), "calls")
	b.ReportMetric(float64(conns), "conns")
	if seqCalls >= 0 {
		if calls != seqCalls {
			b.Logf("note: concurrent walk made %d calls, sequential %d", calls, seqCalls)
		}
		b.ReportMetric(float64(seq.Milliseconds()), "seq-ms")
		b.ReportMetric(float64(seq)/float64(per), "speedup")
	}
}

// criticalPath is the number of calls one after another that an account of
// n instances needs at best with bound calls in flight: AssumeRole, the EC2
// pages (each needs the previous one's token), then the SSM calls (two per
// batch of 50) in rounds of bound. Accounts run side by side, so the
// largest account's path is the inventory's.
func criticalPath(n, bound int) time.Duration {
	ec2Pages := (n + ec2PageSize - 1) / ec2PageSize
	ssmCalls := 2 * ((n + ssmBatch - 1) / ssmBatch)
	return time.Duration(1 + ec2Pages + (ssmCalls+bound-1)/bound)
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
