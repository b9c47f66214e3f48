package aws

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/patchgate/patchgate/providers/aws/awstest"
)

// benchFake is the benchmark's fake AWS, in this process or its own.
type benchFake interface {
	url() string
	setLatency(testing.TB, time.Duration)
	stats(testing.TB) fakeStats
}

// fakeStats are the fake's counters: calls answered, connections
// accepted, and (out of process) its process's CPU so far.
type fakeStats struct {
	calls, conns int
	cpu          time.Duration
}

// inProcessFake serves the fleet from this process: its server goroutines
// carry the label side=fake and the fleet's building side=setup, so a CPU
// profile splits the process's CPU (go tool pprof -tagfocus side=fake /
// -tagignore side=fake,setup).
func inProcessFake(b *testing.B) benchFake {
	ctx := context.Background()
	pprof.SetGoroutineLabels(pprof.WithLabels(ctx, pprof.Labels("side", "fake")))
	fake := awstest.NewServer(b)
	fake.DocumentedItems = documentedPages()
	pprof.SetGoroutineLabels(ctx)
	pprof.Do(ctx, pprof.Labels("side", "setup"), func(context.Context) {
		benchFleet(fake.URL, func(in awstest.Instance) { fake.Add(in) })
	})
	return localFake{fake}
}

type localFake struct{ s *awstest.Server }

func (f localFake) url() string                              { return f.s.URL }
func (f localFake) setLatency(_ testing.TB, d time.Duration) { f.s.Latency = d }
func (f localFake) stats(testing.TB) fakeStats {
	return fakeStats{calls: totalCalls(f.s), conns: f.s.Conns()}
}

// documentedPages: the fake's DescribeInstances pages carry every member
// EC2 documents for an instance (about 4 KB each, ~3.5 MB a page of 833),
// as real pages do; PATCHGATE_BENCH_EC2=lean sends only the few members the
// inventory reads (~0.3 MB a page), as the benchmark did before.
func documentedPages() bool { return os.Getenv("PATCHGATE_BENCH_EC2") != "lean" }

// fakeChildEnv, set in a process's environment, makes this test binary the
// benchmark's fake instead of running tests (see init).
const fakeChildEnv = "PATCHGATE_BENCH_FAKE_CHILD"

// init serves the fleet when this binary was started by startFakeProcess.
// It runs before the testing package parses flags or runs anything, so the
// child is the fake and nothing else.
func init() {
	if os.Getenv(fakeChildEnv) != "" {
		os.Exit(serveFakeFleet(os.Stdin, os.Stdout))
	}
}

// serveFakeFleet builds the fleet in an awstest.Server, writes "ready
// <url>", then answers one line per command read from in: "latency <d>"
// (answered "ok") and "stats" (answered "<calls> <conns> <cpu ns>"). It
// returns when in closes.
func serveFakeFleet(in io.Reader, out io.Writer) int {
	var tb cleanupTB
	defer tb.run()
	fake := awstest.NewServer(&tb)
	fake.DocumentedItems = documentedPages()
	benchFleet(fake.URL, func(in awstest.Instance) { fake.Add(in) })
	fmt.Fprintf(out, "ready %s\n", fake.URL)
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		switch cmd {
		case "latency":
			d, err := time.ParseDuration(arg)
			if err != nil {
				fmt.Fprintf(out, "error %v\n", err)
				continue
			}
			fake.Latency = d
			fmt.Fprintln(out, "ok")
		case "stats":
			fmt.Fprintf(out, "%d %d %d\n", totalCalls(fake), fake.Conns(), processCPU())
		default:
			fmt.Fprintf(out, "error unknown command %q\n", cmd)
		}
	}
	return 0
}

// cleanupTB is the testing.TB awstest.NewServer needs outside a test: it
// keeps the cleanups (closing the server) and runs them at the end. The
// embedded TB is nil: NewServer calls nothing else.
type cleanupTB struct {
	testing.TB
	fns []func()
}

func (t *cleanupTB) Cleanup(f func()) { t.fns = append(t.fns, f) }

func (t *cleanupTB) run() {
	for i := len(t.fns) - 1; i >= 0; i-- {
		t.fns[i]()
	}
}

// processFake is the fake in a child process, driven through its stdin
// and stdout.
type processFake struct {
	u   string
	in  io.Writer
	out *bufio.Reader
}

// startFakeProcess starts this test binary again as the fake (fakeChildEnv)
// and waits until its fleet is built; the child ends when the benchmark's
// cleanup closes its stdin.
func startFakeProcess(b *testing.B) benchFake {
	b.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), fakeChildEnv+"=1")
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		in.Close()
		if err := cmd.Wait(); err != nil {
			b.Errorf("fake process: %v", err)
		}
	})
	f := &processFake{in: in, out: bufio.NewReader(out)}
	line := f.line(b)
	u, ok := strings.CutPrefix(line, "ready ")
	if !ok {
		b.Fatalf("fake process said %q, want ready <url>", line)
	}
	f.u = u
	return f
}

func (f *processFake) url() string { return f.u }

func (f *processFake) line(tb testing.TB) string {
	s, err := f.out.ReadString('\n')
	if err != nil {
		tb.Fatalf("fake process: %v", err)
	}
	return strings.TrimSuffix(s, "\n")
}

func (f *processFake) ask(tb testing.TB, cmd string) string {
	if _, err := fmt.Fprintln(f.in, cmd); err != nil {
		tb.Fatalf("fake process: %v", err)
	}
	return f.line(tb)
}

func (f *processFake) setLatency(tb testing.TB, d time.Duration) {
	if got := f.ask(tb, "latency "+d.String()); got != "ok" {
		tb.Fatalf("fake process: latency %s: %s", d, got)
	}
}

func (f *processFake) stats(tb testing.TB) fakeStats {
	var s fakeStats
	var cpu int64
	got := f.ask(tb, "stats")
	if _, err := fmt.Sscanf(got, "%d %d %d", &s.calls, &s.conns, &cpu); err != nil {
		tb.Fatalf("fake process: stats %q: %v", got, err)
	}
	s.cpu = time.Duration(cpu)
	return s
}
