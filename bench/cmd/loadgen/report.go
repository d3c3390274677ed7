package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// writeReport writes one row per result, with its throughput relative to
// the baseline's when the baseline ran, then the first error of each
// target that had any.
func writeReport(w io.Writer, results []result) error {
	var base float64
	for _, r := range results {
		if r.name == targetBaseline {
			base = r.rate()
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "target\trequests\treq/s\tp50\tp90\tp99\terrors\tvs "+targetBaseline+"\t")
	for _, r := range results {
		ratio := "-"
		if base > 0 {
			ratio = fmt.Sprintf("%.3f", r.rate()/base)
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%s\t%s\t%s\t%d\t%s\t\n", r.name, len(r.latencies), r.rate(),
			round(r.percentile(0.50)), round(r.percentile(0.90)), round(r.percentile(0.99)), r.errors, ratio)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writeRatios(w, results)
	for _, r := range results {
		if r.firstErr != nil {
			fmt.Fprintf(w, "%s: first error: %v\n", r.name, r.firstErr)
		}
	}
	return nil
}

// round shortens d for display: three significant figures or so.
func round(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(time.Microsecond)
}

// describeMachine names the Go version, platform, CPUs and CPU model.
func describeMachine() string {
	s := fmt.Sprintf("%s %s/%s, %d CPUs, GOMAXPROCS=%d", runtime.Version(), runtime.GOOS, runtime.GOARCH,
		runtime.NumCPU(), runtime.GOMAXPROCS(0))
	if m := cpuModel(); m != "" {
		s += ", " + m
	}
	return s
}

// cpuModel returns the first "model name" in /proc/cpuinfo, or "" where
// there is none.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// ratioPairs are the comparisons the fast-path benchmark reports: each
// target's throughput relative to its reference, measured in the same run.
var ratioPairs = []struct{ target, reference, goal string }{
	{targetWAT, targetBaseline, "≥ 0.85"},
	{targetReactorSnapshot, targetReactorPlain, "≥ 10"},
	{targetReactorWarm, targetBaseline, "≥ 0.5"},
	{targetWAT, targetExtism, "≥ 3"},
	{targetCacheHit, targetBaseline, "≥ 0.9"},
	// Instance reset (fresh isolation's default): the WAT echo and the Go
	// reactor against plain Echo, the Go reactor against its warm mode, the
	// WAT echo against Extism, and each against a new instance per task.
	{targetWAT, targetWATNoReset, "> 1"},
	{targetReactorSnapshot, targetBaseline, "≥ 0.6"},
	{targetReactorSnapshot, targetReactorWarm, "≥ 0.9"},
	{targetReactorSnapshot, targetReactorNoReset, "> 1"},
	{targetWATNoReset, targetBaseline, "-"},
	{targetReactorNoReset, targetBaseline, "-"},
}

// writeRatios writes one line per pair of ratioPairs whose two targets ran.
func writeRatios(w io.Writer, results []result) {
	rates := map[string]float64{}
	for _, r := range results {
		rates[r.name] = r.rate()
	}
	first := true
	for _, p := range ratioPairs {
		t, ok1 := rates[p.target]
		ref, ok2 := rates[p.reference]
		if !ok1 || !ok2 || ref == 0 {
			continue
		}
		if first {
			fmt.Fprintln(w, "\nratios (target / reference, same run):")
			first = false
		}
		fmt.Fprintf(w, "  %-26s / %-24s = %7.3f   (target %s)\n", p.target, p.reference, t/ref, p.goal)
	}
}
