package fuel_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nexustask/nexus/host/fuel"
)

// TestFixturesMatchSource checks that each committed .wasm fixture is what
// wat2wasm builds from the .wat beside it.
func TestFixturesMatchSource(t *testing.T) {
	wat2wasm, err := exec.LookPath("wat2wasm")
	if err != nil {
		t.Skip("wat2wasm (wabt) not on PATH: committed fixtures not checked against their source")
	}
	sources, _ := filepath.Glob("testdata/wat/*.wat")
	for _, src := range sources {
		out := filepath.Join(t.TempDir(), "out.wasm")
		if msg, err := exec.Command(wat2wasm, src, "-o", out).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", src, err, msg)
		}
		want, _ := os.ReadFile(out)
		got, err := os.ReadFile(strings.TrimSuffix(src, ".wat") + ".wasm")
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: committed .wasm is stale; rebuild with wat2wasm", src)
		}
	}
}

// TestRoundTrip checks that the rewriting leaves every section it has no
// reason to touch byte-identical, keeps the others' original entries as a
// prefix, and that the output validates; over the Go guest, the fixtures and
// the spec suite's modules.
func TestRoundTrip(t *testing.T) {
	inputs, _ := filepath.Glob("testdata/wat/*.wasm")
	inputs = append(inputs, filepath.Join("testdata", kernelsWasm))
	if dir := wazeroDir(); dir != "" && !testing.Short() {
		more, _ := filepath.Glob(filepath.Join(dir, "internal", "integration_test", "spectest", "v2", "testdata", "*.wasm"))
		inputs = append(inputs, more...)
	}
	checked := 0
	for _, path := range inputs {
		in, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if validate(in) != nil {
			continue // assert_invalid and assert_malformed modules
		}
		out, err := fuel.Instrument(in, fuel.Config{Limits: specLimits})
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if err := validate(out); err != nil {
			t.Errorf("%s: output does not validate: %v", path, err)
		}
		a, b := sections(t, in), sections(t, out)
		for id, payload := range a {
			switch id {
			case "1", "2", "3": // type, import, function: entries appended
				if !bytes.Equal(skipCount(payload), skipCount(b[id])[:len(skipCount(payload))]) {
					t.Errorf("%s: section %s: original entries changed", path, id)
				}
			case "4", "5", "11", "12", "custom:producers": // table, memory, data, data count
				if !bytes.Equal(payload, b[id]) {
					t.Errorf("%s: section %s changed", path, id)
				}
			}
		}
		for id := range a {
			if strings.HasPrefix(id, "custom:.debug_") && b[id] != nil {
				t.Errorf("%s: %s kept", path, id)
			}
		}
		checked++
	}
	t.Logf("%d valid modules instrumented and checked", checked)
}

// sections splits a module into section payloads keyed by id, or by
// "custom:" and name for custom sections.
func sections(t *testing.T, m []byte) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for p := 8; p < len(m); {
		id := m[p]
		size, n := uleb(m[p+1:])
		p += 1 + n
		payload := m[p : p+int(size)]
		p += int(size)
		key := strconv.Itoa(int(id))
		if id == 0 {
			l, n := uleb(payload)
			key = "custom:" + string(payload[n:n+int(l)])
		}
		out[key] = payload
	}
	return out
}

func skipCount(payload []byte) []byte {
	_, n := uleb(payload)
	return payload[n:]
}

func uleb(b []byte) (uint64, int) {
	var v uint64
	for i, c := range b {
		v |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return v, i + 1
		}
	}
	return v, len(b)
}
