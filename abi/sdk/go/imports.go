//go:build wasip1

package nexus

import "unsafe"

// The nexus_v1 imports, one to one. Pointers are offsets into linear
// memory; the Go compiler keeps what they point to alive for the call, and
// Go's collector does not move objects, so slices and strings are passed
// in place. See abi/ABI.md for each import's contract.

//go:wasmimport nexus_v1 input_len
func inputLen() int32

//go:wasmimport nexus_v1 input_read
func inputRead(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport nexus_v1 output_write
func outputWrite(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport nexus_v1 error_set
func errorSet(ptr unsafe.Pointer, n uint32)

//go:wasmimport nexus_v1 log
func logLine(level int32, ptr unsafe.Pointer, n uint32)

//go:wasmimport nexus_v1 progress
func progress(done, total int64)

//go:wasmimport nexus_v1 checkpoint_save
func checkpointSave(ptr unsafe.Pointer, n uint32) int32

//go:wasmimport nexus_v1 checkpoint_load
func checkpointLoad(ptr unsafe.Pointer, capacity uint32) int32

//go:wasmimport nexus_v1 kv_get
func kvGet(kptr unsafe.Pointer, klen uint32, vptr unsafe.Pointer, vcap uint32) int32

//go:wasmimport nexus_v1 kv_set
func kvSet(kptr unsafe.Pointer, klen uint32, vptr unsafe.Pointer, vlen uint32) int32

//go:wasmimport nexus_v1 kv_delete
func kvDelete(kptr unsafe.Pointer, klen uint32) int32

//go:wasmimport nexus_v1 config_get
func configGet(kptr unsafe.Pointer, klen uint32, vptr unsafe.Pointer, vcap uint32) int32

//go:wasmimport nexus_v1 fuel_remaining
func fuelRemaining() int64

//go:wasmimport nexus_v1 task_spawn
func taskSpawn(mptr unsafe.Pointer, mlen uint32, iptr unsafe.Pointer, ilen uint32, optr unsafe.Pointer, olen uint32) int32

//go:wasmimport nexus_v1 task_await
func taskAwait(handle int32, ptr unsafe.Pointer, capacity uint32) int32

//go:wasmimport nexus_v1 task_await_any
func taskAwaitAny(hptr unsafe.Pointer, n uint32) int32

// bytesPtr returns the address of b's first byte (nil for an empty b).
func bytesPtr(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }

// stringPtr returns the address of s's first byte.
func stringPtr(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

// firstRead is the buffer size of the first call of an import that
// returns bytes; larger values take a second call.
const firstRead = 256

// fetch implements the "length, copied if it fits" convention for an
// import call: it calls with a small buffer, then again with one as large
// as the host reported, until the value fits (a kv value may grow between
// two calls). It returns the value, or the negative result code.
func fetch(call func(ptr unsafe.Pointer, capacity uint32) int32) ([]byte, int32) {
	buf := make([]byte, firstRead)
	for {
		r := call(bytesPtr(buf), uint32(len(buf)))
		if r < 0 {
			return nil, r
		}
		if int(r) <= len(buf) {
			return buf[:r:r], r
		}
		buf = make([]byte, r)
	}
}
