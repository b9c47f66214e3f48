package bot

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/patchgate/patchgate/internal/testkit"
	"github.com/patchgate/patchgate/runbooks"
	"github.com/patchgate/patchgate/state/redisstore"
	"github.com/patchgate/patchgate/state/redisstore/redistest"
)

// ackBurst is how many signed clicks arrive at once.
const ackBurst = 200

// BenchmarkAckHTTP sends bursts of 200 concurrent signed block_actions over
// HTTP to a Handler whose work runs on the real engine over Redis, and, in
// the same iteration with the same client, to the floor: a bare handler that
// only reads the body, checks the HMAC and answers 200. The two alternate
// which goes first. It reports how long each request waited for its 200:
// p50, p99 and max over every timed request to the Handler, the bare
// handler's p50 and p99, the ratio of the two p99s, the median over
// iterations of one burst's p99 over the bare burst beside it, and the
// process's CPU time while each kind of burst was answered (the client's
// share included; the Handler's includes whatever work the pool did
// meanwhile). Each server's first burst is untimed: it opens the
// connections the timed ones reuse, as Slack's keep-alive client does, and
// BenchmarkAckColdStart measures such first bursts apart. Each burst's work
// (claim, decision or refusal with its audit entry, ephemeral reply)
// finishes before the next burst, untimed, so bursts do not pile up; the
// payloads carry a whole cycle message, as Slack's do.
//
//	go test -run '^$' -bench BenchmarkAckHTTP -benchtime 40x ./bot
func BenchmarkAckHTTP(b *testing.B) {
	r := newAckRig(b, true)
	bare := httptest.NewServer(bareAckHandler(testSecret))
	b.Cleanup(bare.Close)

	var (
		lat, bareLat     []time.Duration
		realCPU, bareCPU time.Duration
		pairRatios       []float64
	)
	b.ResetTimer()
	b.StopTimer()
	r.handlerBurst(-1)
	r.burst(-1, bare.URL)
	for i := range b.N {
		var bareBurst []time.Duration
		var cpu time.Duration
		if i%2 == 1 {
			bareBurst, cpu = r.burst(i, bare.URL)
			bareLat, bareCPU = append(bareLat, bareBurst...), bareCPU+cpu
		}
		burst, cpu := r.handlerBurst(i)
		lat, realCPU = append(lat, burst...), realCPU+cpu
		if i%2 == 0 {
			bareBurst, cpu = r.burst(i, bare.URL)
			bareLat, bareCPU = append(bareLat, bareBurst...), bareCPU+cpu
		}
		pairRatios = append(pairRatios, quantileMS(burst, 0.99)/quantileMS(bareBurst, 0.99))
	}
	p99, bareP99 := quantileMS(lat, 0.99), quantileMS(bareLat, 0.99)
	b.ReportMetric(quantileMS(lat, 0.50), "p50-ms")
	b.ReportMetric(p99, "p99-ms")
	b.ReportMetric(quantileMS(lat, 1), "max-ms")
	b.ReportMetric(quantileMS(bareLat, 0.50), "bare-p50-ms")
	b.ReportMetric(bareP99, "bare-p99-ms")
	b.ReportMetric(p99/bareP99, "p99-ratio")
	// Each burst's p99 over the bare burst next to it: the median of these
	// is the ratio least moved by other load on the machine.
	b.ReportMetric(median(pairRatios), "pair-p99-ratio-median")
	b.ReportMetric(float64(realCPU)/float64(time.Millisecond)/float64(b.N), "cpu-ms/burst")
	b.ReportMetric(float64(bareCPU)/float64(time.Millisecond)/float64(b.N), "bare-cpu-ms/burst")
	b.ReportMetric(0, "ns/op") // a burst's wall time says little; the quantiles do
}

// ackColdChild names, in a child process of BenchmarkAckColdStart, the
// server that child starts: "handler" or "bare".
const ackColdChild = "PATCHGATE_ACK_COLD_CHILD"

// ackColdLine starts the line on which a child prints each request's wait,
// in nanoseconds.
const ackColdLine = "ack-cold-ns:"

// BenchmarkAckColdStart measures the first burst a freshly started process
// answers: 200 concurrent signed clicks over new connections, the moment
// after a deploy or restart. A process's first burst pays for what any
// first burst pays for (code paged in, heap grown, goroutine stacks
// grown, connections opened), so each server's first burst is measured
// as the first its own process answers: every iteration starts two child
// processes of this test binary, one serving the Handler on the real
// engine over Redis and one the bare handler, alternating which starts
// first, and each sends one burst with the same client code. It reports
// the p99 over every cold request to each, their ratio, and the median
// over iterations of one Handler child's p99 over the bare child's beside
// it.
//
//	go test -run '^$' -bench BenchmarkAckColdStart -benchtime 10x ./bot
func BenchmarkAckColdStart(b *testing.B) {
	if kind := os.Getenv(ackColdChild); kind != "" {
		printAckCold(ackColdBurst(b, kind))
		return
	}
	var lat, bareLat []time.Duration
	var pairRatios []float64
	b.ResetTimer()
	for i := range b.N {
		var burst, bareBurst []time.Duration
		if i%2 == 0 {
			burst, bareBurst = runAckCold(b, "handler"), runAckCold(b, "bare")
		} else {
			bareBurst, burst = runAckCold(b, "bare"), runAckCold(b, "handler")
		}
		lat, bareLat = append(lat, burst...), append(bareLat, bareBurst...)
		pairRatios = append(pairRatios, quantileMS(burst, 0.99)/quantileMS(bareBurst, 0.99))
	}
	p99, bareP99 := quantileMS(lat, 0.99), quantileMS(bareLat, 0.99)
	b.ReportMetric(p99, "cold-p99-ms")
	b.ReportMetric(bareP99, "bare-cold-p99-ms")
	b.ReportMetric(p99/bareP99, "cold-p99-ratio")
	b.ReportMetric(median(pairRatios), "cold-pair-p99-ratio-median")
	b.ReportMetric(0, "ns/op") // two process starts say little; the quantiles do
}

// runAckCold runs one child of BenchmarkAckColdStart serving kind and
// returns the waits it printed.
func runAckCold(b *testing.B, kind string) []time.Duration {
	cmd := exec.Command(os.Args[0], "-test.run", "^$", "-test.bench", "^BenchmarkAckColdStart$",
		"-test.benchtime", "1x", "-test.count", "1")
	cmd.Env = append(os.Environ(), ackColdChild+"="+kind)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		b.Fatalf("%s child: %v\n%s%s", kind, err, out, stderr.Bytes())
	}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), ackColdLine)
		if !ok {
			continue
		}
		var lat []time.Duration
		for _, f := range strings.Fields(rest) {
			ns, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				b.Fatalf("%s child printed %q: %v", kind, f, err)
			}
			lat = append(lat, time.Duration(ns))
		}
		if len(lat) != ackBurst {
			b.Fatalf("%s child printed %d waits, want %d", kind, len(lat), ackBurst)
		}
		return lat
	}
	b.Fatalf("%s child printed no %s line:\n%s", kind, ackColdLine, out)
	return nil
}

// ackColdBurst is a child's one burst, to the server kind names.
func ackColdBurst(b *testing.B, kind string) []time.Duration {
	if kind == "handler" {
		lat, _ := newAckRig(b, true).handlerBurst(-1)
		return lat
	}
	bare := httptest.NewServer(bareAckHandler(testSecret))
	b.Cleanup(bare.Close)
	lat, _ := newAckRig(b, false).burst(-1, bare.URL)
	return lat
}

// printAckCold prints a child's waits for runAckCold.
func printAckCold(lat []time.Duration) {
	var sb strings.Builder
	sb.WriteString(ackColdLine)
	for _, d := range lat {
		sb.WriteByte(' ')
		sb.WriteString(strconv.FormatInt(int64(d), 10))
	}
	fmt.Println(sb.String())
}

// ackRig is the client side of the ack benchmarks, and with a Handler the
// real engine over Redis behind it with a cycle awaiting approval, and the
// response_url sink its replies go to.
type ackRig struct {
	b          *testing.B
	client     *http.Client
	cycle      string
	revision   int64
	sinkURL    string
	handlerURL string
	replies    atomic.Int64
}

// newAckRig builds the client, the sink and, when withHandler, the Handler
// and what it runs on. Without it, the clicks name a made-up cycle: only
// the bare handler reads them.
func newAckRig(b *testing.B, withHandler bool) *ackRig {
	r := &ackRig{b: b, cycle: "cascade-cu-20261207T120000Z-0001", revision: 1,
		client: &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * ackBurst, MaxIdleConnsPerHost: ackBurst}}}
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		r.replies.Add(1)
	}))
	b.Cleanup(sink.Close)
	r.sinkURL = sink.URL
	if !withHandler {
		return r
	}
	ctx := context.Background()
	sock := redistest.Start(b)
	st, err := redisstore.Open(ctx, redisstore.Options{Network: "unix", Addr: sock, Prefix: "pg-bench-ack"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	eng := newSimEngine(b, st, "bench")
	c := benchCycleAwaitingApproval(b, eng)
	r.cycle, r.revision = c.ID, c.Revision
	h := NewHandler(eng, st, NewResponseURLReplier(sink.Client(), nil), HandlerOptions{
		SigningSecret: testSecret, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	r.handlerURL = newHTTPTestServer(b, h).URL
	runUntilCleanup(b, h)
	return r
}

// handlerBurst sends burst i to the Handler and waits, untimed, until its
// work has sent every reply.
func (r *ackRig) handlerBurst(i int) ([]time.Duration, time.Duration) {
	want := r.replies.Load() + ackBurst
	lat, cpu := r.burst(i, r.handlerURL)
	if !testkit.Poll(30*time.Second, func() bool { return r.replies.Load() >= want }) {
		r.b.Fatalf("burst %d: %d of %d replies", i, r.replies.Load()-want+ackBurst, ackBurst)
	}
	return lat, cpu
}

// burst sends ackBurst signed clicks to base at once, timing only their
// flight, and returns each request's wait for its 200 and the process's
// CPU time meanwhile.
func (r *ackRig) burst(i int, base string) ([]time.Duration, time.Duration) {
	users := []string{userAlice, userBob, userOutsider, userRequester}
	reqs := make([]*http.Request, ackBurst)
	for j := range reqs {
		body := clickForm(clickPayload(buttonValue(r.cycle, "nonprod", runbooks.Approve, r.revision), users[j%len(users)],
			fmt.Sprintf("%d.%06d", 1800000000+i, j), r.sinkURL+"/hooks/x"))
		req, _ := http.NewRequest(http.MethodPost, base+PathInteractions, strings.NewReader(body))
		req.Header = slackSign(testSecret, time.Now(), body)
		reqs[j] = req
	}
	start := make(chan struct{})
	lat := make([]time.Duration, ackBurst)
	var wg sync.WaitGroup
	for j, req := range reqs {
		wg.Go(func() {
			<-start
			t0 := time.Now()
			resp, err := r.client.Do(req)
			lat[j] = time.Since(t0)
			if err != nil {
				r.b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				r.b.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	cpu0 := processCPU()
	r.b.StartTimer()
	close(start)
	wg.Wait()
	r.b.StopTimer()
	return lat, processCPU() - cpu0
}

// bareAckHandler is the floor an acknowledgement is measured against: it
// reads the body, checks Slack's HMAC over it with the signing secret and
// answers 200, nothing else.
func bareAckHandler(secret string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "unreadable", http.StatusBadRequest)
			return
		}
		sv, err := slack.NewSecretsVerifier(r.Header, secret)
		if err == nil {
			_, err = sv.Write(body)
		}
		if err == nil {
			err = sv.Ensure()
		}
		if err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// processCPU is the CPU time this process has used (user + system).
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// median is the middle of v (v gets sorted).
func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// quantileMS is the p-quantile of d in milliseconds (d gets sorted).
func quantileMS(d []time.Duration, p float64) float64 {
	slices.Sort(d)
	return float64(d[int(p*float64(len(d)-1))]) / float64(time.Millisecond)
}

// benchCycleAwaitingApproval starts a cycle and ticks it to nonprod's
// approval.
func benchCycleAwaitingApproval(b *testing.B, eng *runbooks.Engine) *runbooks.Cycle {
	ctx := context.Background()
	c, err := eng.Start(ctx, "cascade-cu", userRequester)
	if err != nil {
		b.Fatal(err)
	}
	for range 20 {
		if err := eng.Tick(ctx); err != nil {
			b.Fatal(err)
		}
		if c, err = eng.Get(ctx, c.ID); err != nil {
			b.Fatal(err)
		}
		if i := c.Current(); i >= 0 && c.Stages[i].Phase == runbooks.PhaseApproval {
			return c
		}
	}
	b.Fatalf("cycle %s never reached an approval", c.ID)
	return nil
}
