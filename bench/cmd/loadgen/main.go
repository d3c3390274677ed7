// Command loadgen measures NexusTask's synchronous invoke over HTTP against
// a plain Echo server that echoes the request body, in one process on
// 127.0.0.1.
//
// It starts a NexusTask server wired as `nexus serve` wires it (state in a
// temporary directory), uploads the WAT and Go echo examples and a pure
// echo module through the API, starts the baseline server, then drives each target in turn with
// -conns keep-alive connections: -warmup unmeasured, then -duration
// measured. Every response body is checked against the request body. It
// prints requests per second, latency percentiles, errors and the
// throughput of each target relative to the baseline, then exits.
//
// Run it from the bench directory:
//
//	go run ./cmd/loadgen [-conns 32] [-duration 10s] [-warmup 2s] [-targets echo-baseline,nexus-wat-echo,nexus-go-echo,nexus-cache-hit]
//
// With -nexus-bin PATH the servers run in processes of their own, as
// deployed: NexusTask as `PATH serve` (with its own GC target and
// GOMAXPROCS), the plain Echo and Extism references in a child of loadgen
// with Go's defaults; this process then only generates the load.
//
// With -serve D it only starts the servers, prints their invoke URLs and
// serves for D, so that an external tool such as wrk can load them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/nexustask/nexus/server"
)

// config is what the flags set.
type config struct {
	conns    int
	duration time.Duration
	warmup   time.Duration
	targets  []string
	bodySize int
	watWasm  string
	goWasm   string
	pureWasm string
	// reactorWasm is the Go-compiled nexus-v1 echo; extismWasm the Extism
	// echo plugin.
	reactorWasm string
	extismWasm  string
	serve       time.Duration
	// cpuProfile, if set, receives a CPU profile of this process over the
	// driven targets: generator and servers, or only the generator with
	// nexusBin.
	cpuProfile string
	// ready is host.Config.ReadyInstances of the NexusTask servers.
	ready int
	// nexusBin, if set, is the nexus binary: the servers then run in
	// processes of their own (procs.go).
	nexusBin string
	// requestLog is the NexusTask servers' --request-log.
	requestLog string
	// serveRefs: only serve the references for a parent loadgen.
	serveRefs bool
	// rounds splits each target's duration into turns (see run).
	rounds int
}

func main() {
	cfg, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// parseFlags parses args into a config and checks it.
func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	var targets string
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&cfg.conns, "conns", 32, "concurrent keep-alive connections per target")
	fs.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured time per target")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "unmeasured time per target before -duration")
	fs.StringVar(&targets, "targets", strings.Join(targetNames, ","), "comma-separated targets to drive, in order")
	fs.IntVar(&cfg.bodySize, "body", 64, "request body size in bytes")
	fs.StringVar(&cfg.watWasm, "wat-wasm", "../examples/wat/echo.wasm", "WAT echo module, uploaded as "+moduleWAT)
	fs.StringVar(&cfg.goWasm, "go-wasm", "../examples/go/echo/echo.wasm", "Go echo module, uploaded as "+moduleGo)
	fs.StringVar(&cfg.pureWasm, "pure-wasm", "../server/testdata/pure_echo.wasm", "pure echo module, uploaded as "+modulePure)
	fs.StringVar(&cfg.reactorWasm, "reactor-wasm", "../examples/go/echoreactor/echoreactor.wasm",
		"Go-compiled nexus-v1 echo, uploaded as "+moduleReactor+" (and warm as "+moduleReactorWarm+")")
	fs.StringVar(&cfg.extismWasm, "extism-wasm", "extism/echo.wasm", "Extism echo plugin of the "+targetExtism+" target")
	fs.DurationVar(&cfg.serve, "serve", 0, "if set, only start the servers and serve for this long")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of this process over the run (all targets) to this file")
	fs.IntVar(&cfg.rounds, "rounds", 1, "drive the targets in turns, this many rounds of -duration/-rounds each")
	fs.IntVar(&cfg.ready, "ready", 0, "ready instances kept per module by the NexusTask servers (nexus serve --ready-instances; 0: none)")
	fs.StringVar(&cfg.nexusBin, "nexus-bin", "", "run NexusTask as this nexus binary (nexus serve) and the references in a child process, leaving this process to the load generator")
	fs.StringVar(&cfg.requestLog, "request-log", "all", "the NexusTask servers' request log: all, errors or off (nexus serve --request-log)")
	fs.BoolVar(&cfg.serveRefs, "serve-refs", false, "only serve the plain Echo and Extism references, print their URLs and serve until stdin ends (used by -nexus-bin)")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	cfg.targets = strings.Split(targets, ",")
	return cfg, cfg.validate()
}

// validate reports whether cfg can run.
func (c config) validate() error {
	switch {
	case c.conns < 1:
		return errors.New("-conns must be at least 1")
	case c.duration <= 0:
		return errors.New("-duration must be positive")
	case c.warmup < 0:
		return errors.New("-warmup must not be negative")
	case c.bodySize < 1:
		return errors.New("-body must be at least 1")
	case c.serve < 0:
		return errors.New("-serve must not be negative")
	case c.rounds < 1:
		return errors.New("-rounds must be at least 1")
	case c.ready < 0:
		return errors.New("-ready must not be negative")
	}
	if _, err := server.ParseRequestLog(c.requestLog); err != nil {
		return fmt.Errorf("-request-log: %w", err)
	}
	for _, t := range c.targets {
		if !knownTarget(t) {
			return fmt.Errorf("unknown target %q; known: %s", t, strings.Join(targetNames, ", "))
		}
	}
	return nil
}

// run starts the servers, then either serves for cfg.serve or drives each
// target and writes the report to w and its progress to progress.
func run(ctx context.Context, cfg config, w, progress io.Writer) error {
	if cfg.serveRefs {
		return serveRefs(ctx, cfg, w)
	}
	srv, err := startServers(ctx, cfg)
	if err != nil {
		return err
	}
	defer srv.close()
	if cfg.serve > 0 {
		return serveFor(ctx, srv, cfg.serve, w)
	}
	body := makeBody(cfg.bodySize)
	fmt.Fprintf(w, "%s\n", describeMachine())
	where := "load generator and servers share this process and its CPUs"
	if cfg.nexusBin != "" {
		where = "NexusTask runs as " + cfg.nexusBin + " serve, the references in a child process; all share the CPUs"
	}
	fmt.Fprintf(w, "conns=%d warmup=%s duration=%s rounds=%d ready=%d body=%dB request-log=%s; %s\n\n",
		cfg.conns, cfg.warmup, cfg.duration, cfg.rounds, cfg.ready, len(body), cfg.requestLog, where)
	if cfg.cpuProfile != "" {
		stop, err := startProfile(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
	// With -rounds N each target is driven N times for duration/N, the
	// targets taking turns, so that a neighbour's load on a shared machine
	// falls on every target alike and the ratios stay comparable.
	results := make([]result, len(cfg.targets))
	slice := cfg.duration / time.Duration(cfg.rounds)
	for round := 0; round < cfg.rounds; round++ {
		for i, name := range cfg.targets {
			fmt.Fprintf(progress, "driving %s for %s (round %d of %d) ...\n", name, cfg.warmup+slice, round+1, cfg.rounds)
			r := drive(ctx, srv.url(name), load{
				conns:    cfg.conns,
				warmup:   cfg.warmup,
				duration: slice,
				body:     body,
			})
			results[i].merge(name, r)
			if ctx.Err() != nil {
				return ctx.Err()
			}
		}
	}
	for i := range results {
		slices.Sort(results[i].latencies)
	}
	return writeReport(w, results)
}

// serveFor prints the invoke URL of every target and serves until d has
// passed or ctx is done.
func serveFor(ctx context.Context, srv *servers, d time.Duration, w io.Writer) error {
	for _, name := range targetNames {
		fmt.Fprintf(w, "%-16s POST %s\n", name, srv.url(name))
	}
	fmt.Fprintf(w, "serving for %s\n", d)
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
	return nil
}

// makeBody returns n printable bytes.
func makeBody(n int) []byte {
	const pattern = "nexus-64"
	b := make([]byte, n)
	for i := range b {
		b[i] = pattern[i%len(pattern)]
	}
	return b
}

// startProfile starts a CPU profile into path; stop ends it and closes the
// file.
func startProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}
