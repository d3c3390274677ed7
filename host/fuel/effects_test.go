package fuel

import (
	"os"
	"testing"
)

// TestEffectsWritesTables checks the effects section: set for a module
// that grows a table, clear for one that only calls through it, and a
// section the input brings along is replaced, not trusted.
func TestEffectsWritesTables(t *testing.T) {
	for _, tc := range []struct {
		file string
		want bool
	}{
		{"testdata/wat/table_grow.wasm", true},
		{"testdata/wat/loop.wasm", false},
		{"testdata/wat/indirect_recursion.wasm", false},
	} {
		wasm, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		// A section claiming no table writes, appended by the module
		// itself, must not survive.
		forged := appendCustom(append([]byte(nil), wasm...), EffectsSection, []byte{0})
		for _, in := range [][]byte{wasm, forged} {
			art, err := Instrument(in, DefaultConfig())
			if err != nil {
				t.Fatalf("%s: %v", tc.file, err)
			}
			e, ok := ReadEffects(art)
			if !ok || e.WritesTables != tc.want {
				t.Errorf("%s: effects %+v (found %v), want WritesTables %v", tc.file, e, ok, tc.want)
			}
		}
	}
	if _, ok := ReadEffects([]byte("\x00asm\x01\x00\x00\x00")); ok {
		t.Error("a module without the section has effects")
	}
}
