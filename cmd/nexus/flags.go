package main

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nexustask/nexus/cache"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The CLI's one flag vocabulary. A flag that means the same thing in two
// commands is defined here once and has the same name, short form, units
// and help in both:
//
//   - input: -d/--data STRING, -i/--input FILE (- for stdin);
//   - sizes (--memory, --max-module-bytes, …): bytes or a unit, 64MiB,
//     512KiB, 1GiB, 64MB, 64M;
//   - fuel (--fuel, --max-fuel, …): an integer or a power of ten, 1e9;
//   - durations (--timeout, --queue-timeout, --delay, …): Go durations,
//     250ms, 5s, 1h30m;
//   - --priority, --category, --version, --config, --tag, --cache-ttl,
//     --json.
//
// Old spellings stay accepted as hidden aliases (flagAliases).

// taskFlags are the flags describing one run of a module, shared by nexus
// invoke, nexus task submit and nexus schedule add.
type taskFlags struct {
	input, data  string
	version      int
	priority     int // -1: the server's default
	category     string
	fuel, memory int64
	timeout      time.Duration
	queueTimeout time.Duration
	cacheTTL     string
	tags         []string
	config       []string
}

// register defines the task flags on f, bound to o.
func (o *taskFlags) register(f *pflag.FlagSet) {
	f.StringVarP(&o.input, "input", "i", "", "read the input from FILE, or - for stdin")
	f.StringVarP(&o.data, "data", "d", "", "the input itself, as a string")
	f.IntVar(&o.version, "version", 0, "module version (default: the latest)")
	f.IntVar(&o.priority, "priority", -1, "priority 0-9, higher first (default 5)")
	f.StringVar(&o.category, "category", "", "fair-share and rate-limit category (default: default)")
	f.Var(fuelVar(&o.fuel), "fuel", "fuel budget, e.g. 1000000 or 1e9 (default: the server's)")
	f.Var(sizeVar(&o.memory), "memory", "memory quota, bytes or e.g. 64MiB (default: the server's)")
	f.DurationVar(&o.timeout, "timeout", 0, "deadline, counted from the start on a worker, e.g. 5s (default: the server's)")
	f.DurationVar(&o.queueTimeout, "queue-timeout", 0, "how long it may wait for a worker, e.g. 10s (default: as long as it takes)")
	f.StringVar(&o.cacheTTL, "cache-ttl", "", "run a pure module through the result cache, keeping its result this long, e.g. 5m")
	f.StringArrayVar(&o.tags, "tag", nil, "tag the task, and its cached result for invalidation by tag (repeatable)")
	f.StringArrayVarP(&o.config, "config", "c", nil, "task configuration KEY=VALUE (repeatable)")
}

// readInput returns the input --input or --data give (nil for neither).
func (o *taskFlags) readInput(stdin io.Reader) ([]byte, error) {
	switch {
	case o.input != "" && o.data != "":
		return nil, usageError{fmt.Errorf("give --input or --data, not both")}
	case o.input != "":
		return readInput(o.input, stdin)
	case o.data != "":
		return []byte(o.data), nil
	}
	return nil, nil
}

// priorityPtr returns --priority, or nil for the server's default.
func (o *taskFlags) priorityPtr() *int {
	if o.priority < 0 {
		return nil
	}
	p := o.priority
	return &p
}

// configMap returns the --config KEY=VALUE pairs.
func (o *taskFlags) configMap() (map[string]string, error) {
	if len(o.config) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(o.config))
	for _, kv := range o.config {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, usageError{fmt.Errorf("--config %q: want KEY=VALUE", kv)}
		}
		m[k] = v
	}
	return m, nil
}

// ttl returns --cache-ttl parsed (0 if unset).
func (o *taskFlags) ttl() (time.Duration, error) {
	if o.cacheTTL == "" {
		return 0, nil
	}
	d, err := cache.ParseTTL(o.cacheTTL)
	if err != nil {
		return 0, usageError{fmt.Errorf("--cache-ttl: %w", err)}
	}
	return d, nil
}

// addJSONFlag adds --output table|json|yaml and --json, its alias for
// json, printing the server's JSON (or YAML) instead of text.
func addJSONFlag(f *pflag.FlagSet, asJSON *bool) { addOutputFlags(f, asJSON) }

// flagAliases are old spellings of flags, accepted as hidden aliases of
// the vocabulary's names: a command line that worked keeps working.
var flagAliases = map[string]string{
	"input-string": "data", // nexus task submit before the vocabulary
}

// withAliases makes cmd and its subcommands accept flagAliases.
func withAliases(cmd *cobra.Command) *cobra.Command {
	cmd.SetGlobalNormalizationFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if to, ok := flagAliases[name]; ok {
			return pflag.NormalizedName(to)
		}
		return pflag.NormalizedName(name)
	})
	return cmd
}

// sizeFlag defines the size flag name on f, bound to p, default def.
func sizeFlag(f *pflag.FlagSet, p *int64, name string, def int64, usage string) {
	*p = def
	f.Var(sizeVar(p), name, usage)
}

// fuelFlag defines the fuel flag name on f, bound to p, default def.
func fuelFlag(f *pflag.FlagSet, p *int64, name string, def int64, usage string) {
	*p = def
	f.Var(fuelVar(p), name, usage)
}

// sizeValue is a flag holding a byte count, given in bytes or with a unit.
type sizeValue struct{ p *int64 }

func sizeVar(p *int64) *sizeValue { return &sizeValue{p} }

func (v *sizeValue) Set(s string) error {
	n, err := parseSize(s)
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}

func (v *sizeValue) String() string {
	if v.p == nil {
		return "0"
	}
	return formatSize(*v.p)
}

func (v *sizeValue) Type() string { return "size" }

// sizeUnits are the units of a size, longest first: binary (KiB, MiB,
// GiB, TiB, and K, M, G, T as their short forms) and decimal (KB, MB, GB,
// TB), as the server's memory query parameter reads them.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40}, {"B", 1},
}

// parseSize parses a byte count written plainly (67108864) or with a unit
// (64MiB, 1.5GiB, 64MB, 64M); a negative count is allowed for the flags
// where it means "off".
func parseSize(s string) (int64, error) {
	num, mult := strings.TrimSpace(s), int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(num, u.suffix) {
			num, mult = strings.TrimSpace(strings.TrimSuffix(num, u.suffix)), u.mult
			break
		}
	}
	if n, err := strconv.ParseInt(num, 10, 64); err == nil {
		if n > math.MaxInt64/mult || n < math.MinInt64/mult {
			return 0, fmt.Errorf("size %q is too large", s)
		}
		return n * mult, nil
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("size %q: want bytes or a size like 64MiB", s)
	}
	b := f * float64(mult)
	if b != math.Trunc(b) || math.Abs(b) >= 1<<62 {
		return 0, fmt.Errorf("size %q is not a whole number of bytes", s)
	}
	return int64(b), nil
}

// formatSize writes n in the largest binary unit that holds it exactly.
func formatSize(n int64) string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// fuelValue is a flag holding a fuel count, an integer or a power of ten.
type fuelValue struct{ p *int64 }

func fuelVar(p *int64) *fuelValue { return &fuelValue{p} }

func (v *fuelValue) Set(s string) error {
	n, err := parseCount(s)
	if err != nil {
		return err
	}
	*v.p = n
	return nil
}

func (v *fuelValue) String() string {
	if v.p == nil {
		return "0"
	}
	return formatCount(*v.p)
}

func (v *fuelValue) Type() string { return "fuel" }

// parseCount parses a non-negative whole number written plainly
// (1000000) or in exponent form (1e9, 2.5e6).
func parseCount(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return n, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f != math.Trunc(f) || f >= 1<<62 {
		return 0, fmt.Errorf("%q: want a whole number like 1000000 or 1e9", s)
	}
	return int64(f), nil
}

// formatCount writes n as 1e9 when it is a power of ten past a million.
func formatCount(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n >= 1e6 && strings.Trim(s[1:], "0") == "" {
		return s[:1] + "e" + strconv.Itoa(len(s)-1)
	}
	return s
}
