package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/patchgate/patchgate/test/scale"
)

var stages = []string{"setup", "preflight", "nonprod", "staging", "production", "report"}

// printTables writes one Markdown table per backend and a text chart per
// figure that grows with size.
func printTables(w io.Writer, rs []scale.Result) {
	for _, backend := range []string{"bolt", "redis"} {
		var sel []scale.Result
		for _, r := range rs {
			if r.Backend == backend {
				sel = append(sel, r)
			}
		}
		if len(sel) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n### %s, %d replica(s)\n\n", backend, sel[0].Replicas)
		fmt.Fprint(w, "| figure |")
		for _, r := range sel {
			fmt.Fprintf(w, " %s |", r.Size)
		}
		fmt.Fprint(w, "\n|---|")
		for range sel {
			fmt.Fprint(w, "---|")
		}
		fmt.Fprintln(w)
		row := func(name string, f func(r scale.Result) string) {
			fmt.Fprintf(w, "| %s |", name)
			for _, r := range sel {
				fmt.Fprintf(w, " %s |", f(r))
			}
			fmt.Fprintln(w)
		}
		row("hosts (all tenants)", func(r scale.Result) string { return fmt.Sprint(r.Hosts) })
		row("cycles completed", func(r scale.Result) string { return fmt.Sprint(r.Completed) })
		row("largest cycle record", func(r scale.Result) string { return kb(int64(r.CycleRecordMax)) })
		row("largest store value", func(r scale.Result) string { return kb(int64(r.StoreValueMax)) })
		row("bytes written to the store per cycle", func(r scale.Result) string { return kb(r.BytesPerCycle) })
		row("store writes per cycle", func(r scale.Result) string { return fmt.Sprint(r.WritesPerCycle) })
		if backend == "redis" {
			row("Redis memory per completed cycle (INFO used_memory)", func(r scale.Result) string { return kb(r.RedisMemPerCycle) })
		}
		row("idle tick per active cycle (wall / CPU)", func(r scale.Result) string {
			return fmt.Sprintf("%.0f / %.0f µs", r.IdleTickPerCycle*1e6, r.IdleTickCPUPerCyc*1e6)
		})
		for _, s := range stages {
			row("CPU: "+s, func(r scale.Result) string { return fmt.Sprintf("%.2f s", r.CPUByStage[s]) })
		}
		row("CPU: whole run / wall", func(r scale.Result) string { return fmt.Sprintf("%.2f s / %.1f s", r.CPU, r.Wall) })
		// The report is made in the same round as production's last step,
		// so production's peak includes it.
		for _, s := range stages[:len(stages)-1] {
			name := s
			if s == "production" {
				name = "production and report"
			}
			row("peak RSS: "+name, func(r scale.Result) string { return mb(r.PeakRSSByStage[s]) })
		}
		row("peak RSS", func(r scale.Result) string { return mb(r.PeakRSS) })
		row("Slack Web API calls per cycle", func(r scale.Result) string { return fmt.Sprintf("%.1f", r.SlackCallsPerCyc) })
		row("audit events per cycle", func(r scale.Result) string { return fmt.Sprintf("%.1f", r.AuditEventsPerCyc) })

		chart(w, "peak RSS (MB)", sel, func(r scale.Result) float64 { return float64(r.PeakRSS) / (1 << 20) })
		chart(w, "CPU per run (s)", sel, func(r scale.Result) float64 { return r.CPU })
		chart(w, "bytes written per cycle (MB)", sel, func(r scale.Result) float64 { return float64(r.BytesPerCycle) / (1 << 20) })
		chart(w, "largest cycle record (KB)", sel, func(r scale.Result) float64 { return float64(r.CycleRecordMax) / 1024 })
	}
}

// chart draws a horizontal text bar per result.
func chart(w io.Writer, title string, rs []scale.Result, v func(scale.Result) float64) {
	top := 0.0
	for _, r := range rs {
		top = max(top, v(r))
	}
	fmt.Fprintf(w, "\n```\n%s\n", title)
	for _, r := range rs {
		n := 0
		if top > 0 {
			n = int(40 * v(r) / top)
		}
		fmt.Fprintf(w, "%9s %s %.1f\n", r.Size, strings.Repeat("█", n), v(r))
	}
	fmt.Fprintln(w, "```")
}

func kb(n int64) string {
	if n >= 10<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f KB", float64(n)/1024)
}

func mb(n int64) string { return fmt.Sprintf("%.0f MB", float64(n)/(1<<20)) }
