package bot

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
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
// iterations of one burst's p99 over the bare burst beside it, each
// server's first (cold) burst's p99, and the process's CPU time while each
// kind of burst was answered (the client's share included; the Handler's
// includes whatever work the pool did meanwhile). The cold bursts are
// untimed: they open the connections the timed ones reuse, as Slack's
// keep-alive client does. Each burst's work (claim, decision or refusal
// with its audit entry, ephemeral reply) finishes before the next burst,
// untimed, so bursts do not pile up; the payloads carry a whole cycle
// message, as Slack's do.
//
//	go test -run '^$' -bench BenchmarkAckHTTP -benchtime 40x ./bot
func BenchmarkAckHTTP(b *testing.B) {
	ctx := context.Background()
	sock := redistest.Start(b)
	st, err := redisstore.Open(ctx, redisstore.Options{Network: "unix", Addr: sock, Prefix: "pg-bench-ack"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	eng := newSimEngine(b, st, "bench")
	cycle := benchCycleAwaitingApproval(b, eng)

	var replies atomic.Int64
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		replies.Add(1)
	}))
	b.Cleanup(sink.Close)
	h := NewHandler(eng, st, NewResponseURLReplier(sink.Client(), nil), HandlerOptions{
		SigningSecret: testSecret, Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	srv := httptest.NewServer(h.HTTPHandler())
	b.Cleanup(srv.Close)
	bare := httptest.NewServer(bareAckHandler(testSecret))
	b.Cleanup(bare.Close)
	runUntilCleanup(b, h)
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 2 * ackBurst, MaxIdleConnsPerHost: ackBurst}}

	var (
		lat, bareLat     []time.Duration
		realCPU, bareCPU time.Duration
		pairRatios       []float64
	)
	users := []string{userAlice, userBob, userOutsider, userRequester}
	burstTo := func(i int, base string) []time.Duration {
		reqs := make([]*http.Request, ackBurst)
		for j := range reqs {
			user := users[j%len(users)]
			body := clickForm(clickPayload(buttonValue(cycle.ID, "nonprod", runbooks.Approve, cycle.Revision), user,
				fmt.Sprintf("%d.%06d", 1800000000+i, j), sink.URL+"/hooks/x"))
			req, _ := http.NewRequest(http.MethodPost, base+PathInteractions, strings.NewReader(body))
			req.Header = slackSign(testSecret, time.Now(), body)
			reqs[j] = req
		}
		start := make(chan struct{})
		burst := make([]time.Duration, ackBurst)
		var wg sync.WaitGroup
		for j, req := range reqs {
			wg.Go(func() {
				<-start
				t0 := time.Now()
				resp, err := client.Do(req)
				burst[j] = time.Since(t0)
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
				}
			})
		}
		cpu0 := processCPU()
		b.StartTimer()
		close(start)
		wg.Wait()
		b.StopTimer()
		cpu := processCPU() - cpu0
		if base == bare.URL {
			bareCPU += cpu
		} else {
			realCPU += cpu
		}
		return burst
	}
	b.ResetTimer()
	b.StopTimer()
	// Each server's first burst opens its connections and is the first
	// the process answers of its kind (code paged in, heap grown, the
	// store's pool dialled): it is reported apart, as cold-p99, and the
	// timed bursts that follow reuse the connections, as Slack's
	// keep-alive client does.
	want := replies.Load() + ackBurst
	cold := burstTo(-1, srv.URL)
	if !testkit.Poll(30*time.Second, func() bool { return replies.Load() >= want }) {
		b.Fatalf("cold burst: %d of %d replies", replies.Load()-want+ackBurst, ackBurst)
	}
	bareCold := burstTo(-1, bare.URL)
	realCPU, bareCPU = 0, 0
	for i := range b.N {
		var bareBurst []time.Duration
		if i%2 == 1 {
			bareBurst = burstTo(i, bare.URL)
			bareLat = append(bareLat, bareBurst...)
		}
		want := replies.Load() + ackBurst
		burst := burstTo(i, srv.URL)
		lat = append(lat, burst...)
		if !testkit.Poll(30*time.Second, func() bool { return replies.Load() >= want }) {
			b.Fatalf("burst %d: %d of %d replies", i, replies.Load()-want+ackBurst, ackBurst)
		}
		if i%2 == 0 {
			bareBurst = burstTo(i, bare.URL)
			bareLat = append(bareLat, bareBurst...)
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
	slices.Sort(pairRatios)
	b.ReportMetric(pairRatios[len(pairRatios)/2], "pair-p99-ratio-median")
	b.ReportMetric(quantileMS(cold, 0.99), "cold-p99-ms")
	b.ReportMetric(quantileMS(bareCold, 0.99), "bare-cold-p99-ms")
	b.ReportMetric(float64(realCPU)/float64(time.Millisecond)/float64(b.N), "cpu-ms/burst")
	b.ReportMetric(float64(bareCPU)/float64(time.Millisecond)/float64(b.N), "bare-cpu-ms/burst")
	b.ReportMetric(0, "ns/op") // a burst's wall time says little; the quantiles do
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
