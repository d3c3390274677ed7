package fuel

import (
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// measure instruments wasm with no limits and returns the largest value it
// met for each limit.
func measure(wasm []byte) (Limits, error) {
	var unlimited Limits
	v := reflect.ValueOf(&unlimited).Elem()
	for i := range v.NumField() {
		v.Field(i).SetUint(1<<32 - 1)
	}
	m, err := splitSections(wasm, unlimited)
	if err != nil {
		return Limits{}, err
	}
	if err := m.decodeHeaders(); err != nil {
		return m.seen, err
	}
	_, err = newInstrumenter(m, DefaultConfig(), true).run()
	return m.seen, err
}

// realModules returns the paths of every committed module of the
// repository that is meant to run: examples, conformance guests and test
// fixtures.
func realModules(t *testing.T) []string {
	var paths []string
	for _, dir := range []string{"../../examples", "../../conformance", "../testdata", "testdata"} {
		filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".wasm") {
				paths = append(paths, path)
			}
			return nil
		})
	}
	if len(paths) == 0 {
		t.Fatal("no modules found")
	}
	return paths
}

// TestDefaultLimitsAdmitRealModules checks that every real module of the
// repository is within a third of each default limit, and logs the
// largest value met for each limit with the module it came from.
func TestDefaultLimitsAdmitRealModules(t *testing.T) {
	def := reflect.ValueOf(DefaultLimits())
	maxSeen := make([]uint64, def.NumField())
	from := make([]string, def.NumField())
	for _, path := range realModules(t) {
		wasm, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		seen, err := measure(wasm)
		if err != nil {
			continue // fixtures that are refused on purpose
		}
		if _, err := Instrument(wasm, DefaultConfig()); err != nil {
			t.Errorf("%s: %v", path, err)
		}
		sv := reflect.ValueOf(seen)
		for i := range sv.NumField() {
			if v := sv.Field(i).Uint(); v > maxSeen[i] {
				maxSeen[i], from[i] = v, path
			}
		}
	}
	for i := range def.NumField() {
		name, limit := def.Type().Field(i).Name, def.Field(i).Uint()
		t.Logf("%-20s max %9d (%5.1f%% of %9d) in %s", name, maxSeen[i], 100*float64(maxSeen[i])/float64(limit), limit, from[i])
		if maxSeen[i] > limit/3 {
			t.Errorf("%s: %s has %d, more than a third of the default %d", name, from[i], maxSeen[i], limit)
		}
	}
}
