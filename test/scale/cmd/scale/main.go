// Command scale runs the scale harness (package test/scale) at every size on
// bbolt (one replica) and Redis (three replicas sharing one server), each run
// in its own process so its peak RSS is its own, and prints the Markdown
// tables and text charts BENCHMARKS.md shows, and with -png a PNG chart of
// each figure's growth with size.
//
//	go run ./test/scale/cmd/scale                  # every size, both backends
//	go run ./test/scale/cmd/scale -sizes 1000 -backends bolt
//	go run ./test/scale/cmd/scale -json r.json -png docs/img   # keep results, draw charts
//	go run ./test/scale/cmd/scale -from r.json -png docs/img   # redraw without running
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"github.com/patchgate/patchgate/test/scale"
)

func main() {
	sizes := flag.String("sizes", "1000,5000,20000,100x200", "hosts per tenant, or TENANTSxHOSTS")
	backends := flag.String("backends", "bolt,redis", "bolt (1 replica) and/or redis (3 replicas)")
	one := flag.String("one", "", "run one size in this process and print its result as JSON (used by the parent)")
	backend := flag.String("backend", "bolt", "with -one: the backend")
	noReport := flag.Bool("no-report", false, "leave the compliance report out")
	saveJSON := flag.String("json", "", "also write the results to this file")
	from := flag.String("from", "", "print and chart the results saved in this file instead of running")
	pngDir := flag.String("png", "", "write a PNG chart per figure into this directory")
	flag.Parse()
	if *one != "" {
		if err := runOne(*one, *backend, *noReport); err != nil {
			fmt.Fprintln(os.Stderr, "scale:", err)
			os.Exit(1)
		}
		return
	}
	var results []scale.Result
	if *from != "" {
		data, err := os.ReadFile(*from)
		if err == nil {
			err = json.Unmarshal(data, &results)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "scale:", err)
			os.Exit(1)
		}
		output(results, "", *pngDir)
		return
	}
	for _, b := range strings.Split(*backends, ",") {
		for _, s := range strings.Split(*sizes, ",") {
			fmt.Fprintf(os.Stderr, "scale: %s on %s…\n", s, b)
			r, err := child(s, b, *noReport)
			if err != nil {
				fmt.Fprintf(os.Stderr, "scale: %s on %s: %v\n", s, b, err)
				os.Exit(1)
			}
			results = append(results, r)
		}
	}
	output(results, *saveJSON, *pngDir)
}

// output prints the tables, and saves the results and draws the charts
// where asked.
func output(results []scale.Result, saveJSON, pngDir string) {
	printTables(os.Stdout, results)
	if saveJSON != "" {
		data, err := json.MarshalIndent(results, "", "  ")
		if err == nil {
			err = os.WriteFile(saveJSON, append(data, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "scale:", err)
			os.Exit(1)
		}
	}
	if pngDir != "" {
		paths, err := writeCharts(pngDir, results)
		if err != nil {
			fmt.Fprintln(os.Stderr, "scale:", err)
			os.Exit(1)
		}
		for _, p := range paths {
			fmt.Fprintln(os.Stderr, "scale: wrote", p)
		}
	}
}

// child runs one size in a fresh process.
func child(size, backend string, noReport bool) (scale.Result, error) {
	args := []string{"-one", size, "-backend", backend}
	if noReport {
		args = append(args, "-no-report")
	}
	cmd := exec.Command(os.Args[0], args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, os.Stderr
	if err := cmd.Run(); err != nil {
		return scale.Result{}, fmt.Errorf("run %s: %w", size, err)
	}
	var r scale.Result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return r, fmt.Errorf("decode result of %s: %w", size, err)
	}
	return r, nil
}

func runOne(size, backend string, noReport bool) error {
	tenants, hosts := 1, 0
	var err error
	if t, h, ok := strings.Cut(size, "x"); ok {
		if tenants, err = strconv.Atoi(t); err == nil {
			hosts, err = strconv.Atoi(h)
		}
	} else {
		hosts, err = strconv.Atoi(size)
	}
	if err != nil {
		return fmt.Errorf("size %q: want HOSTS or TENANTSxHOSTS", size)
	}
	dir, err := os.MkdirTemp("", "patchgate-scale-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	o := scale.Options{Tenants: tenants, HostsPerTenant: hosts, Backend: backend, Replicas: 1,
		RealHandles: true, NoReport: noReport, Dir: dir}
	if backend == "redis" {
		o.Replicas = 3
		sock, stop, err := startRedis(dir)
		if err != nil {
			return err
		}
		defer stop()
		o.RedisSocket = sock
	}
	if path := os.Getenv("PATCHGATE_SCALE_HEAPPROFILE"); path != "" {
		defer watchHeap(path)()
	}
	r, err := scale.Run(context.Background(), o)
	if err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}
