package wasmbin

import (
	"math"
	"testing"
)

// FuzzU32 checks that U32 reads back what AppendULEB wrote for every
// 32-bit value, and never panics or reads past B on arbitrary bytes.
func FuzzU32(f *testing.F) {
	f.Add(uint32(0), []byte{0x80})
	f.Add(uint32(624485), []byte{0xe5, 0x8e, 0x26})
	f.Add(uint32(math.MaxUint32), []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, v uint32, raw []byte) {
		r := Reader{B: AppendULEB(nil, uint64(v))}
		if got, err := r.U32(); err != nil || got != v || r.Off != len(r.B) {
			t.Fatalf("U32(AppendULEB(%d)) = %d, %v at %d of %d", v, got, err, r.Off, len(r.B))
		}
		r = Reader{B: raw}
		if _, err := r.U32(); err == nil && r.Off > len(raw) {
			t.Fatalf("U32 read %d of %d bytes", r.Off, len(raw))
		}
		r = Reader{B: raw}
		if err := r.SkipLEB(); err == nil && r.Off > len(raw) {
			t.Fatalf("SkipLEB read %d of %d bytes", r.Off, len(raw))
		}
	})
}
