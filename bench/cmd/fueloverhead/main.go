// Command fueloverhead measures the cost of fuel metering across many
// processes. It builds the host/fuel test binary once, runs its
// BenchmarkOverhead (each kernel plain and metered alternately on one
// thread, the ratio of their CPU times) in -processes separate processes,
// and prints, per kernel, the median, minimum and maximum of all the
// ratios, then the geometric mean of the medians over all kernels, the Go
// ones and the C ones.
//
// Separate processes matter: within one process a kernel's ratio is stable,
// but it moves by ±20 % from one process to the next, with where the
// compiled code and the guest's memory land (branch-predictor and cache
// aliasing), so a single process measures one draw of that layout. The
// median over many processes is the figure to compare with a target.
//
//	cd bench && go run ./cmd/fueloverhead -processes 10 -count 2
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

func main() {
	processes := flag.Int("processes", 10, "benchmark processes to run, one after another")
	count := flag.Int("count", 2, "-test.count within each process")
	bench := flag.String("bench", "Overhead", "-test.bench pattern (a BenchmarkOverhead sub-benchmark filter)")
	root := flag.String("root", "..", "repository root")
	flag.Parse()
	log.SetFlags(0)

	dir, err := os.MkdirTemp("", "fueloverhead")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "fuel.test")
	build := exec.Command("go", "test", "-c", "-o", bin, "./host/fuel")
	build.Dir, build.Stderr = *root, os.Stderr
	if err := build.Run(); err != nil {
		log.Fatalf("building the host/fuel test binary: %v", err)
	}

	ratios := map[string][]float64{}
	for p := 1; p <= *processes; p++ {
		cmd := exec.Command(bin, "-test.run", "^$", "-test.bench", *bench, "-test.count", strconv.Itoa(*count))
		cmd.Dir, cmd.Stderr = filepath.Join(*root, "host", "fuel"), os.Stderr
		out, err := cmd.Output()
		if err != nil {
			log.Fatalf("process %d: %v\n%s", p, err, out)
		}
		n := parse(out, ratios)
		log.Printf("process %d/%d: %d results", p, *processes, n)
	}
	report(os.Stdout, ratios)
}

var line = regexp.MustCompile(`^BenchmarkOverhead/kernel=(\S+?)(-\d+)?\s.*?\s([0-9.]+) metered/plain`)

// parse adds each result line's ratio to ratios by kernel and returns how
// many it found.
func parse(out []byte, ratios map[string][]float64) int {
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := line.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		v, err := strconv.ParseFloat(m[3], 64)
		if err != nil {
			continue
		}
		ratios[m[1]] = append(ratios[m[1]], v)
		n++
	}
	return n
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func report(w *os.File, ratios map[string][]float64) {
	kernels := make([]string, 0, len(ratios))
	for k := range ratios {
		kernels = append(kernels, k)
	}
	slices.Sort(kernels)
	fmt.Fprintln(w, "| kernel | runs | median | min | max |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	logs := map[string][]float64{}
	for _, k := range kernels {
		v := ratios[k]
		m := median(v)
		fmt.Fprintf(w, "| %s | %d | %.3f | %.3f | %.3f |\n", k, len(v), m, slices.Min(v), slices.Max(v))
		lang, _, _ := strings.Cut(k, "-")
		logs["all"] = append(logs["all"], math.Log(m))
		logs[lang] = append(logs[lang], math.Log(m))
	}
	for _, g := range []string{"all", "go", "c"} {
		if l := logs[g]; len(l) > 0 {
			var sum float64
			for _, x := range l {
				sum += x
			}
			fmt.Fprintf(w, "geometric mean of the medians, %s (%d kernels): %.3f\n", g, len(l), math.Exp(sum/float64(len(l))))
		}
	}
}
