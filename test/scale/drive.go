package scale

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/patchgate/patchgate/runbooks"
)

// maxRounds bounds a run: a cycle needs about 30 rounds (an hour of fake
// clock each; staging soaks 24 h).
const maxRounds = 120

// drive alternates ticks of every replica, approvals and an hour of clock
// until no cycle is active, charging the CPU of each round to the stage
// most cycles were in.
func (w *world) drive(ctx context.Context, res *Result) error {
	idleMeasured := false
	// Generating the fleet and starting the cycles, before any round.
	res.PeakRSSByStage["setup"] = peakRSS()
	for round := 1; round <= maxRounds; round++ {
		active, err := w.engines[0].Active(ctx)
		if err != nil {
			return err
		}
		if len(active) == 0 {
			res.Rounds = round - 1
			return nil
		}
		stage := dominantStage(active)
		resetPeakRSS()
		cpu0, rep0 := cpuTime(), w.reportCPU.Load()
		if err := w.tickAll(ctx); err != nil {
			return err
		}
		if !idleMeasured {
			if idleMeasured, err = w.measureIdle(ctx, res); err != nil {
				return err
			}
		}
		if err := w.approveWaiting(ctx); err != nil {
			return err
		}
		if err := w.tickAll(ctx); err != nil {
			return err
		}
		rep := w.reportCPU.Load() - rep0
		res.CPUByStage[stage] += (cpuTime() - cpu0 - rep).Seconds()
		res.PeakRSSByStage[stage] = max(res.PeakRSSByStage[stage], peakRSS())
		if rep > 0 {
			res.CPUByStage["report"] += rep.Seconds()
		}
		w.clock.Advance(time.Hour)
	}
	return fmt.Errorf("cycles still active after %d rounds", maxRounds)
}

// dominantStage names the stage most active cycles are in.
func dominantStage(cycles []*runbooks.Cycle) string {
	count := map[string]int{}
	for _, c := range cycles {
		name := "archive"
		if i := c.Current(); i >= 0 {
			name = c.Stages[i].Name
		}
		count[name]++
	}
	names := make([]string, 0, len(count))
	for n := range count {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		return count[names[i]] > count[names[j]] || count[names[i]] == count[names[j]] && names[i] < names[j]
	})
	return names[0]
}

// tickAll runs one reconcile tick on every replica at once.
func (w *world) tickAll(ctx context.Context) error {
	var wg sync.WaitGroup
	errs := make([]error, len(w.engines))
	for i, e := range w.engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = e.Tick(ctx)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// measureIdle times ticks while every active cycle waits for a person (no
// lease, no write: a list and a pure Next per cycle), once that happens.
func (w *world) measureIdle(ctx context.Context, res *Result) (bool, error) {
	active, err := w.engines[0].Active(ctx)
	if err != nil {
		return false, err
	}
	now := w.clock.Now()
	for _, c := range active {
		if a := runbooks.Next(c, now); a.NeedsIO() || a.Kind != runbooks.ActWait {
			return false, nil
		}
	}
	// The median of 21 ticks: a single tick on a loaded machine can wait
	// behind a GC or another process for tens of milliseconds.
	const ticks = 21
	walls, cpus := make([]float64, ticks), make([]float64, ticks)
	for i := range ticks {
		wall0, cpu0 := time.Now(), cpuTime()
		if _, err := w.engines[0].TickStats(ctx); err != nil {
			return false, err
		}
		walls[i], cpus[i] = time.Since(wall0).Seconds(), (cpuTime() - cpu0).Seconds()
	}
	sort.Float64s(walls)
	sort.Float64s(cpus)
	n := float64(len(active))
	res.IdleTickPerCycle, res.IdleTickCPUPerCyc = walls[ticks/2]/n, cpus[ticks/2]/n
	return true, nil
}

// approveWaiting approves every stage waiting for approval: alice, and bob
// as production's second approver.
func (w *world) approveWaiting(ctx context.Context) error {
	active, err := w.engines[0].Active(ctx)
	if err != nil {
		return err
	}
	for k, c := range active {
		i := c.Current()
		if i < 0 || c.Status != runbooks.StatusRunning || c.Stages[i].Phase != runbooks.PhaseApproval {
			continue
		}
		s := c.Stages[i]
		for _, who := range []string{alice, bob}[len(s.Approvals):s.MinApprovals] {
			e := w.engines[k%len(w.engines)]
			if _, err := e.Decide(ctx, runbooks.Decision{Cycle: c.ID, Stage: s.Name, Action: runbooks.Approve,
				Actor: who, InteractionID: fmt.Sprintf("approve-%s-%s-%s", c.ID, s.Name, who)}); err != nil {
				return fmt.Errorf("approve %s %s as %s: %w", c.ID, s.Name, who, err)
			}
		}
	}
	return nil
}
