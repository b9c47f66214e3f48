package scale

import (
	"context"
	"fmt"

	"github.com/patchgate/patchgate/runbooks"
)

// collect reads what the run left behind into res and checks every cycle
// completed.
func (w *world) collect(ctx context.Context, o Options, st *meter, ids map[string]string, memBefore int64, res *Result) error {
	events := int64(0)
	for tenant, id := range ids {
		c, err := w.engines[0].Get(ctx, id)
		if err != nil {
			return err
		}
		if c.Status != runbooks.StatusCompleted {
			return fmt.Errorf("cycle of %s ended %s", tenant, c.Status)
		}
		res.Completed++
		head, err := st.Head(ctx, runbooks.AuditStream(id))
		if err != nil {
			return fmt.Errorf("audit head of %s: %w", id, err)
		}
		events += head.Seq
	}
	n := int64(len(ids))
	written, writes, maxValue, maxKey, maxCycle := st.snapshot()
	res.CycleRecordMax, res.StoreValueMax, res.StoreValueMaxKey = maxCycle, maxValue, maxKey
	res.BytesPerCycle, res.WritesPerCycle = written/n, writes/n
	res.AuditEventsPerCyc = float64(events) / float64(n)
	calls := 0
	for _, k := range w.slack.Calls() {
		calls += k
	}
	res.SlackCallsPerCyc = float64(calls) / float64(n)
	res.PeakRSS = 0
	for _, v := range res.PeakRSSByStage {
		res.PeakRSS = max(res.PeakRSS, v)
	}
	if o.Backend == "redis" {
		after, err := redisUsedMemory(ctx, o.RedisSocket)
		if err != nil {
			return err
		}
		res.RedisMemPerCycle = (after - memBefore) / n
	}
	return nil
}
