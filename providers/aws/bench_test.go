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

// BenchmarkInventory10k: 10,000 instances across 12 accounts behind the
// httptest EC2/SSM/STS fake, every call delayed by the latency, at 40 ms and
// 200 ms per call and per-account bounds 4 and 8, all in one run. Each
// iteration is a fresh provider (so role assumption is included). The fake
// runs in a process of its own (this test binary started again, see
// fakeProcess), so this process's CPU is the provider's alone, as against
// a real AWS endpoint; PATCHGATE_BENCH_FAKE=inprocess serves it from this
// process instead (the way earlier releases measured, and for a CPU
// profile that splits the two by label). Reported per iteration:
//
//	wall-ms      the concurrent inventory
//	path-ms      its critical path: in the largest account, AssumeRole, then
//	             the EC2 pages one after another, then ⌈SSM calls ÷ bound⌉
//	             rounds of SSM calls (instance information and patch states
//	             for each 50 instances, side by side), times the latency
//	vs-path      wall-ms / path-ms (target ≤ 1.3)
//	vs-batch-path  wall-ms over the path counted the way, as
//	             ⌈batches ÷ bound⌉ SSM rounds (each batch's two calls in
//	             one round), which the per-account bound on calls in
//	             flight does not allow: reported, not the target
//	cpu-ms       this process's CPU per inventory of 10,000 instances
//	             (target ≤ 300 ms): the provider's own with the fake in its
//	             own process; with PATCHGATE_BENCH_FAKE=inprocess it includes
//	             the fake's HTTP serving (a CPU profile splits the two: the
//	             fake's goroutines are labelled side=fake, the fleet's
//	             building side=setup, and what is left is the provider's)
//	fake-cpu-ms  the fake process's CPU per inventory (out of process only)
//	calls        every call the fake answered
//	conns        connections the provider opened to the fake
//	seq-ms, speedup  with PATCHGATE_BENCH_SEQ=1 only: the same calls made one
//	             after another (the paper's single-Lambda walk), measured once
//
// PATCHGATE_BENCH_LATENCY=d runs only latency d (0 for profiling);
// EC2 pages are of real size unless PATCHGATE_BENCH_EC2=lean (see
// documentedPages).
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

// The benchmark's fleet: 10,000 instances in 12 accounts, the 4 left over
// from 12 × 833 in the first.
const benchAccounts, benchPerAccount, benchExtra = 12, 10000 / 12, 10000 - 12*(10000/12)

// benchFleet is the benchmark's environment and configuration for a fake
// at url; add (when not nil) registers its instances with the fake.
func benchFleet(url string, add func(awstest.Instance)) (runbooks.Environment, Config) {
	env, cfg := fleetAt(url, benchAccounts, benchPerAccount, add)
	for i := range benchExtra {
		if add != nil {
			add(awstest.Instance{ID: fmt.Sprintf("i-extra%04d", i), Account: env.Targets[0].Account, Name: "extra",
				Tags: map[string]string{"patchgate": "yes"}})
		}
	}
	return env, cfg
}

func benchInventory(b *testing.B, latency time.Duration, conc int) {
	ctx := context.Background()
	var fake benchFake
	if os.Getenv("PATCHGATE_BENCH_FAKE") == "inprocess" {
		fake = inProcessFake(b)
	} else {
		fake = startFakeProcess(b)
	}
	env, cfg := benchFleet(fake.url(), nil)
	fake.setLatency(b, latency)
	cfg.AccountConcurrency = conc

	var seq time.Duration
	seqCalls := -1
	if os.Getenv("PATCHGATE_BENCH_SEQ") != "" {
		seq, seqCalls = sequentialWalk(b, fake, cfg, env)
	}
	var wall, cpu, fakeCPU time.Duration
	calls, conns := 0, 0
	b.ResetTimer()
	for range b.N {
		before := fake.stats(b)
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
		after := fake.stats(b)
		calls, conns = after.calls-before.calls, after.conns-before.conns
		fakeCPU += after.cpu - before.cpu
		if len(hosts) != 10000 {
			b.Fatalf("got %d hosts, want 10000", len(hosts))
		}
	}
	b.StopTimer()
	per := wall / time.Duration(b.N)
	path := criticalPath(benchPerAccount+benchExtra, conc) * latency
	b.ReportMetric(float64(per.Milliseconds()), "wall-ms")
	b.ReportMetric(float64(path.Milliseconds()), "path-ms")
	b.ReportMetric(float64(per)/float64(path), "vs-path")
	b.ReportMetric(float64(per)/float64(batchPath(benchPerAccount+benchExtra, conc)*latency), "vs-batch-path")
	b.ReportMetric(float64((cpu / time.Duration(b.N)).Milliseconds()), "cpu-ms")
	if fakeCPU > 0 {
		b.ReportMetric(float64((fakeCPU / time.Duration(b.N)).Milliseconds()), "fake-cpu-ms")
	}
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

// batchPath is criticalPath with each batch's two SSM calls counted as one
// round trip (see vs-batch-path).
func batchPath(n, bound int) time.Duration {
	ec2Pages := (n + ec2PageSize - 1) / ec2PageSize
	batches := (n + ssmBatch - 1) / ssmBatch
	return time.Duration(1 + ec2Pages + (batches+bound-1)/bound)
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
func sequentialWalk(b *testing.B, fake benchFake, cfg Config, env runbooks.Environment) (time.Duration, int) {
	b.Helper()
	ctx := context.Background()
	before := fake.stats(b).calls
	start := time.Now()
	found := 0
	for _, t := range env.Targets {
		base := aws.Config{Region: region, Credentials: cfg.Credentials}
		stsc := sts.NewFromConfig(base, func(o *sts.Options) { o.BaseEndpoint = aws.String(fake.url()) })
		creds := aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(stsc, "arn:aws:iam::"+t.Account+":role/patchgate"))
		if _, err := creds.Retrieve(ctx); err != nil {
			b.Fatal(err)
		}
		c := aws.Config{Region: region, Credentials: creds}
		e := ec2.NewFromConfig(c, func(o *ec2.Options) { o.BaseEndpoint = aws.String(fake.url()) })
		s := ssm.NewFromConfig(c, func(o *ssm.Options) { o.BaseEndpoint = aws.String(fake.url()) })
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
	return time.Since(start), fake.stats(b).calls - before
}
