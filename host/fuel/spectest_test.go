package fuel_test

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/nexustask/nexus/host/fuel"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

// The spec-suite parity test runs every module of the WebAssembly spec test
// suite shipped with wazero twice, original and instrumented, each in its
// own runtime, and requires every assertion to hold identically in both.
// Fuel is unlimited (the test host always refills). assert_exhaustion holds
// when the original overflows the stack and the instrumented module reaches
// the call-depth limit (the depth_exceeded import), which is how
// instrumented code makes stack exhaustion deterministic.

const wazeroModule = "github.com/tetratelabs/wazero"

// wazeroDir returns the directory of the wazero module in the module cache,
// or "" if it cannot be found.
func wazeroDir() string {
	if out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", wazeroModule).Output(); err == nil {
		if dir := strings.TrimSpace(string(out)); dir != "" {
			return dir
		}
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == wazeroModule {
			cache, err := exec.Command("go", "env", "GOMODCACHE").Output()
			if err != nil {
				return ""
			}
			return filepath.Join(strings.TrimSpace(string(cache)), wazeroModule+"@"+d.Version)
		}
	}
	return ""
}

// specDir returns the spec-suite directory, or skips the test.
func specDir(t testing.TB) string {
	t.Helper()
	dir := wazeroDir()
	if dir == "" {
		t.Skip("wazero module not found in the module cache: spec suite unavailable")
	}
	dir = filepath.Join(dir, "internal", "integration_test", "spectest")
	if _, err := os.Stat(filepath.Join(dir, "v2", "testdata")); err != nil {
		t.Skipf("spec suite not found: %v", err)
	}
	return dir
}

type (
	specFile struct {
		SourceFile string        `json:"source_filename"`
		Commands   []specCommand `json:"commands"`
	}
	specCommand struct {
		Type       string      `json:"type"`
		Line       int         `json:"line"`
		Name       string      `json:"name"`
		Filename   string      `json:"filename"`
		As         string      `json:"as"`
		Action     specAction  `json:"action"`
		Expected   []specValue `json:"expected"`
		ModuleType string      `json:"module_type"`
		Text       string      `json:"text"`
	}
	specAction struct {
		Type   string      `json:"type"`
		Module string      `json:"module"`
		Field  string      `json:"field"`
		Args   []specValue `json:"args"`
	}
	specValue struct {
		Type     string `json:"type"`
		LaneType string `json:"lane_type"`
		Value    any    `json:"value"`
	}
)

// specStats counts what ran and records every skip with its reason.
type specStats struct {
	modules    int
	assertions map[string]int
	skips      []string

	exhaustedByDepth int
	exhaustedByStack map[string]int // by export name
}

func (s *specStats) skip(file string, c *specCommand, format string, args ...any) {
	s.skips = append(s.skips, fmt.Sprintf("%s:%d %s: %s", file, c.Line, c.Type, fmt.Sprintf(format, args...)))
}

// world is one runtime of the parity test: original or instrumented.
type world struct {
	instrumented bool
	r            wazero.Runtime
	named        map[string]api.Module
	last         api.Module
}

func newWorld(t *testing.T, ctx context.Context, features api.CoreFeatures, instrumented bool, spectest []byte) *world {
	t.Helper()
	r := wazero.NewRuntimeWithConfig(ctx, wazero.NewRuntimeConfigCompiler().WithCoreFeatures(features))
	t.Cleanup(func() { r.Close(ctx) })
	w := &world{instrumented: instrumented, r: r, named: map[string]api.Module{}}
	if instrumented {
		instantiateMeterHost(ctx, t, r)
	}
	bin, err := w.prepare(spectest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithName("spectest")); err != nil {
		t.Fatal(err)
	}
	return w
}

// prepare returns the binary this world runs for bin.
func (w *world) prepare(bin []byte) ([]byte, error) {
	if !w.instrumented {
		return bin, nil
	}
	return fuel.Instrument(bin, fuel.Config{MaxCallDepth: *specDepth, Limits: specLimits})
}

var specDepth = flag.Int("fuel.specdepth", 0, "MaxCallDepth for the spec parity test (0: default)")

func (w *world) instantiate(ctx context.Context, bin []byte, name string) (api.Module, error) {
	mod, err := w.r.InstantiateWithConfig(ctx, bin, wazero.NewModuleConfig().WithName(name))
	if err == nil {
		w.last = mod
	}
	return mod, err
}

func (w *world) module(a *specAction) api.Module {
	if a.Module != "" {
		return w.named[a.Module]
	}
	return w.last
}

// outcome is the result of an action: values or the first line of an error.
type outcome struct {
	values  []uint64
	types   []api.ValueType
	err     error
	errLine string
}

func (w *world) do(ctx context.Context, a *specAction) outcome {
	mod := w.module(a)
	if mod == nil {
		return outcome{err: errors.New("no module"), errLine: "no module"}
	}
	switch a.Type {
	case "invoke":
		fn := mod.ExportedFunction(a.Field)
		if fn == nil {
			return outcome{err: errors.New("no export"), errLine: "no export " + a.Field}
		}
		var args []uint64
		for _, v := range a.Args {
			args = append(args, v.uint64s()...)
		}
		if g, ok := mod.ExportedGlobal(fuel.ExportDepthGlobal).(api.MutableGlobal); ok {
			g.Set(0) // instances are reused after traps here, unlike in the host
		}
		res, err := fn.Call(ctx, args...)
		return outcome{values: res, types: fn.Definition().ResultTypes(), err: err, errLine: firstLine(err)}
	case "get":
		g := mod.ExportedGlobal(a.Field)
		if g == nil {
			return outcome{err: errors.New("no export"), errLine: "no global " + a.Field}
		}
		return outcome{values: []uint64{g.Get()}, types: []api.ValueType{g.Type()}}
	}
	return outcome{err: errors.New("unknown action " + a.Type), errLine: "unknown action"}
}

// firstLine returns the first line of an error message with function
// indices blanked: the instrumenter shifts them by the imports it adds.
func firstLine(err error) string {
	if err == nil {
		return ""
	}
	s, _, _ := strings.Cut(err.Error(), "\n")
	return funcIndexRE.ReplaceAllString(s, "function[]")
}

var funcIndexRE = regexp.MustCompile(`function\[\d+\]`)

func TestSpecParity(t *testing.T) {
	dir := specDir(t)
	spectest, err := os.ReadFile(filepath.Join(dir, "testdata", "spectest.wasm"))
	if err != nil {
		t.Skipf("spectest host module not found: %v", err)
	}
	total := &specStats{assertions: map[string]int{}, exhaustedByStack: map[string]int{}}
	for _, suite := range []struct {
		name     string
		features api.CoreFeatures
	}{{"v1", api.CoreFeaturesV1}, {"v2", api.CoreFeaturesV2}} {
		files, _ := filepath.Glob(filepath.Join(dir, suite.name, "testdata", "*.json"))
		if testing.Short() && len(files) > 12 {
			files = files[:12]
		}
		for _, f := range files {
			t.Run(suite.name+"/"+strings.TrimSuffix(filepath.Base(f), ".json"), func(t *testing.T) {
				runSpecFile(t, f, suite.features, spectest, total)
			})
		}
	}
	var kinds []string
	n := 0
	for k, v := range total.assertions {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, v))
		n += v
	}
	slices.Sort(kinds)
	t.Logf("spec parity: %d modules, %d assertions (%s), %d skipped", total.modules, n, strings.Join(kinds, " "), len(total.skips))
	t.Logf("assert_exhaustion: %d reached depth_exceeded; reached wazero's native stack ceiling first (frames too large for the depth limit): %v",
		total.exhaustedByDepth, total.exhaustedByStack)
	for _, s := range total.skips {
		t.Logf("skipped: %s", s)
	}
}

func runSpecFile(t *testing.T, path string, features api.CoreFeatures, spectest []byte, stats *specStats) {
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var sf specFile
	if err := json.Unmarshal(raw, &sf); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	dir := filepath.Dir(path)
	file := filepath.Base(sf.SourceFile)
	orig := newWorld(t, ctx, features, false, spectest)
	inst := newWorld(t, ctx, features, true, spectest)
	worlds := []*world{orig, inst}
	skipping := "" // reason the current module is not running, if any
	for i := 0; i < len(sf.Commands); i++ {
		c := &sf.Commands[i]
		where := fmt.Sprintf("%s:%d %s", file, c.Line, c.Type)
		switch c.Type {
		case "module":
			bin, err := os.ReadFile(filepath.Join(dir, c.Filename))
			if err != nil {
				t.Fatal(err)
			}
			name := ""
			if i+1 < len(sf.Commands) && sf.Commands[i+1].Type == "register" {
				name = sf.Commands[i+1].As
				i++
			}
			skipping = ""
			ibin, err := inst.prepare(bin)
			if err != nil {
				var ue *fuel.UnsupportedError
				if errors.As(err, &ue) {
					skipping = err.Error()
					stats.skip(file, c, "%s", skipping)
					continue
				}
				t.Errorf("%s: instrument: %v", where, err)
				skipping = "instrument failed"
				continue
			}
			for _, w := range worlds {
				b := bin
				if w.instrumented {
					b = ibin
				}
				mod, err := w.instantiate(ctx, b, name)
				if err != nil {
					if !w.instrumented {
						skipping = "original fails to instantiate: " + firstLine(err)
						stats.skip(file, c, "%s", skipping)
						break
					}
					t.Errorf("%s: instrumented module fails to instantiate: %v", where, err)
					skipping = "instantiate failed"
					break
				}
				if c.Name != "" {
					w.named[c.Name] = mod
				}
			}
			if skipping == "" {
				stats.modules++
			}
		case "assert_return", "action", "assert_trap", "assert_exhaustion":
			if skipping != "" && c.Action.Module == "" {
				stats.skip(file, c, "module skipped: %s", skipping)
				continue
			}
			o, n := orig.do(ctx, &c.Action), inst.do(ctx, &c.Action)
			if msg := compareOutcomes(c, o, n, stats); msg != "" {
				t.Errorf("%s %s: %s", where, c.Action.Field, msg)
			}
			stats.assertions[c.Type]++
		case "assert_invalid", "assert_malformed", "assert_unlinkable", "assert_uninstantiable":
			if c.ModuleType == "text" {
				continue // not a binary: nothing to instrument
			}
			bin, err := os.ReadFile(filepath.Join(dir, c.Filename))
			if err != nil {
				t.Fatal(err)
			}
			if msg := compareRejections(ctx, c, bin, orig, inst); msg != "" {
				t.Errorf("%s: %s", where, msg)
			}
			stats.assertions[c.Type]++
		case "register":
			stats.skip(file, c, "register not directly after its module")
		default:
			stats.skip(file, c, "unknown command")
		}
	}
}

// compareRejections checks that a module the spec says must be rejected is
// rejected by both worlds, in the same way for link and instantiation errors.
func compareRejections(ctx context.Context, c *specCommand, bin []byte, orig, inst *world) string {
	_, oerr := orig.instantiate(ctx, bin, "")
	ibin, ierr := inst.prepare(bin)
	instrumentErr := ierr
	if ierr == nil {
		_, ierr = inst.instantiate(ctx, ibin, "")
	}
	switch c.Type {
	case "assert_invalid", "assert_malformed":
		if oerr == nil {
			return "original accepted" // a wazero deviation; not ours to judge
		}
		if ierr == nil {
			return "instrumented module accepted, original rejected: " + firstLine(oerr)
		}
		return ""
	}
	if instrumentErr != nil {
		return "instrument: " + instrumentErr.Error()
	}
	if (oerr == nil) != (ierr == nil) || firstLine(oerr) != firstLine(ierr) {
		return fmt.Sprintf("original %q, instrumented %q", firstLine(oerr), firstLine(ierr))
	}
	return ""
}

func compareOutcomes(c *specCommand, o, n outcome, stats *specStats) string {
	switch c.Type {
	case "assert_exhaustion":
		if o.err == nil || !strings.Contains(o.errLine, "stack overflow") {
			return fmt.Sprintf("original: want stack overflow, got %v", o.err)
		}
		switch {
		case errors.Is(n.err, errDepthExceeded):
			stats.exhaustedByDepth++
		case n.err != nil && strings.Contains(n.errLine, "stack overflow"):
			// Frames larger than wazero's ceiling / MaxCallDepth reach the
			// native ceiling first.
			stats.exhaustedByStack[c.Action.Field]++
		default:
			return fmt.Sprintf("instrumented: want depth exceeded, got %v", n.err)
		}
		return ""
	case "assert_trap":
		if o.err == nil || n.err == nil {
			return fmt.Sprintf("want traps, got original %v, instrumented %v", o.err, n.err)
		}
		if o.errLine != n.errLine {
			return fmt.Sprintf("original %q, instrumented %q", o.errLine, n.errLine)
		}
		return ""
	}
	if o.err != nil || n.err != nil {
		return fmt.Sprintf("original %v, instrumented %v", o.err, n.err)
	}
	if c.Type == "action" {
		return ""
	}
	if msg := matchExpected(c.Expected, o); msg != "" {
		return "original: " + msg
	}
	if msg := matchExpected(c.Expected, n); msg != "" {
		return "instrumented: " + msg
	}
	if !slices.Equal(refsNulled(o), refsNulled(n)) {
		return fmt.Sprintf("bits differ: original %x, instrumented %x", o.values, n.values)
	}
	return ""
}

// refsNulled returns the result bits with references reduced to null or
// not: function references are host pointers, different in each runtime.
func refsNulled(o outcome) []uint64 {
	out := slices.Clone(o.values)
	i := 0
	for _, t := range o.types {
		if t == 0x70 && out[i] != 0 { // funcref
			out[i] = 1
		}
		i++
		if t == 0x7b { // v128
			i++
		}
	}
	return out
}

// specLimits are the limits the spec-suite modules are instrumented with:
// the defaults, except br_table.wast's br_table of 24,616 targets.
var specLimits = fuel.Limits{BrTableTargets: 1 << 15}
