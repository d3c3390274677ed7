//go:build wasip1

// Command guest is the Go conformance guest of NexusTask: a nexus-v1 task
// that reads a command script (conformance/SCRIPT.md) from its input and
// performs it through the Go SDK, writing what each call returns.
//
// Build it from the repository root with examples/go/build.sh, or:
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -trimpath -buildvcs=false \
//		-ldflags='-s -w' -o conformance/guests/go/guest.wasm ./conformance/guests/go
package main

import (
	"encoding/binary"
	"errors"
	"math"
	"os"
	"runtime"

	nexus "github.com/nexustask/nexus/abi/sdk/go"
	"github.com/nexustask/nexus/abi/sdk/go/envelope"
)

func init() { nexus.Run(run) }

func main() {}

// Ops of the script format.
const (
	opOutput         = 0x01
	opOutputRepeat   = 0x02
	opInputLen       = 0x03
	opInputRead      = 0x04
	opLog            = 0x05
	opProgress       = 0x06
	opCheckpointSave = 0x07
	opCheckpointLoad = 0x08
	opKVGet          = 0x09
	opKVSet          = 0x0A
	opKVDelete       = 0x0B
	opConfigGet      = 0x0C
	opFuel           = 0x0D
	opFail           = 0x0E
	opTrap           = 0x0F
	opSpin           = 0x10
	opAlloc          = 0x11
	opRawOutput      = 0x12
	opRecurse        = 0x13
	opReturn         = 0x14
	opStderr         = 0x15
	opSpawn          = 0x16
	opAwait          = 0x17
	opAwaitAny       = 0x18
	opEnvelope       = 0x19
)

// errBadScript fails the task as SCRIPT.md asks for an unknown op or a
// truncated script.
var errBadScript = &nexus.TaskError{Code: 99, Message: "conformance: bad script"}

// done ends the script with a result: nil for success.
type done struct{ err error }

func run(input []byte) ([]byte, error) {
	s := script{b: input}
	if string(s.take(4)) != "NXC1" || s.bad {
		return nil, errBadScript
	}
	g := guest{lastFuel: math.MaxInt64}
	for len(s.b) > 0 {
		if d := g.step(&s); d != nil {
			return nil, d.err
		}
		if s.bad {
			return nil, errBadScript
		}
	}
	return nil, nil
}

// guest is the state kept between commands.
type guest struct {
	lastFuel int64
	scratch  []byte
}

// step runs one command. It returns non-nil when the script must end.
// Arguments are all read before anything is done, so a truncated command
// does nothing.
func (g *guest) step(s *script) *done {
	switch op := s.u8(); op {
	case opOutput:
		if p := s.bytes(); !s.bad {
			nexus.Output.Write(p)
		}
	case opOutputRepeat:
		p, n := s.bytes(), s.u32()
		for i := uint32(0); i < n && !s.bad; i++ {
			if _, err := nexus.Output.Write(p); err != nil {
				break
			}
		}
	case opInputLen:
		writeI32(int32(nexus.InputLen()))
	case opInputRead:
		if n := s.u32(); !s.bad {
			writeI32(int32(nexus.ReadInput(g.buf(n))))
		}
	case opLog:
		level, msg := s.u32(), s.bytes()
		if !s.bad {
			nexus.Log(nexus.Level(int32(level)), string(msg))
		}
	case opProgress:
		d, t := s.u64(), s.u64()
		if !s.bad {
			nexus.Progress(int64(d), int64(t))
		}
	case opCheckpointSave:
		if p := s.bytes(); !s.bad {
			writeI32(code(nexus.SaveCheckpoint(p)))
		}
	case opCheckpointLoad:
		if c := s.u32(); !s.bad {
			v, found, err := nexus.LoadCheckpoint()
			writeValue(v, found, err, c)
		}
	case opKVGet:
		key, c := s.bytes(), s.u32()
		if !s.bad {
			v, found, err := nexus.KVGet(string(key))
			writeValue(v, found, err, c)
		}
	case opKVSet:
		key, v := s.bytes(), s.bytes()
		if !s.bad {
			writeI32(code(nexus.KVSet(string(key), v)))
		}
	case opKVDelete:
		if key := s.bytes(); !s.bad {
			found, err := nexus.KVDelete(string(key))
			writeValue(nil, found, err, 0)
		}
	case opConfigGet:
		key, c := s.bytes(), s.u32()
		if !s.bad {
			v, ok := nexus.Config(string(key))
			writeValue([]byte(v), ok, nil, c)
		}
	case opFuel:
		f := nexus.FuelRemaining()
		if 0 < f && f < g.lastFuel {
			writeI32(1)
		} else {
			writeI32(0)
		}
		g.lastFuel = f
	case opFail:
		msg, c := s.bytes(), s.u32()
		if !s.bad {
			if c == 0 {
				// error_set then returning 0 is a success; the message
				// is never reported.
				return &done{}
			}
			return &done{&nexus.TaskError{Code: int32(c), Message: string(msg)}}
		}
	case opTrap:
		runtime.Breakpoint() // compiles to the unreachable instruction
	case opSpin:
		if n := s.u64(); !s.bad {
			spin(n)
		}
	case opAlloc:
		if mib := s.u32(); !s.bad {
			alloc(mib)
		}
	case opRawOutput:
		ptr, n := s.u32(), s.u32()
		if !s.bad {
			writeI32(rawOutputWrite(ptr, n))
		}
	case opRecurse:
		if d := s.u32(); !s.bad {
			sink += uint64(recurse(d))
		}
	case opReturn:
		if c := s.u32(); !s.bad {
			if c == 0 {
				return &done{}
			}
			return &done{&nexus.TaskError{Code: int32(c)}}
		}
	case opStderr:
		if p := s.bytes(); !s.bad {
			os.Stderr.Write(p)
		}
	case opSpawn:
		m, in, opts := s.bytes(), s.bytes(), s.bytes()
		if !s.bad {
			h, err := nexus.Spawn(string(m), in, opts)
			if err != nil {
				writeI32(code(err))
			} else {
				writeI32(int32(h))
			}
		}
	case opAwait:
		h, c := s.u32(), s.u32()
		if !s.bad {
			out, err := nexus.Await(nexus.Handle(int32(h)))
			writeValue(out, err == nil, err, c)
		}
	case opAwaitAny:
		if b := s.bytes(); !s.bad {
			hs := make([]nexus.Handle, len(b)/4)
			for i := range hs {
				hs[i] = nexus.Handle(int32(binary.LittleEndian.Uint32(b[4*i:])))
			}
			i, err := nexus.AwaitAny(hs)
			if err != nil {
				writeI32(code(err))
			} else {
				writeI32(int32(i))
			}
		}
	case opEnvelope:
		env, id, c := s.bytes(), s.bytes(), s.u32()
		if !s.bad {
			writeEnvelope(env, string(id), c)
		}
	default:
		s.bad = true
	}
	return nil
}

// buf returns a scratch buffer of n bytes.
func (g *guest) buf(n uint32) []byte {
	if uint32(cap(g.scratch)) < n {
		g.scratch = make([]byte, n)
	}
	return g.scratch[:n]
}

// code maps an SDK error back to the import's result code.
func code(err error) int32 {
	var c nexus.Code
	if errors.As(err, &c) {
		return int32(c)
	}
	return 0
}

// writeValue writes the record of an import that returns a value with the
// "length, copied if it fits" convention and a capacity of c: the length
// (or the code), then the value if it fit. The SDK already fetched the
// whole value, so only the record depends on c.
func writeValue(v []byte, found bool, err error, c uint32) {
	switch {
	case err != nil:
		writeI32(code(err))
	case !found:
		writeI32(int32(nexus.ErrNotFound))
	default:
		writeI32(int32(len(v)))
		if uint64(len(v)) <= uint64(c) {
			nexus.Output.Write(v)
		}
	}
}

// writeEnvelope writes the ENVELOPE record of source id: its output as
// writeValue does, or ERR_NOT_FOUND, ERR_FAILED (the source did not
// succeed) or ERR_INVALID (not an envelope).
func writeEnvelope(env []byte, id string, c uint32) {
	e, err := envelope.Read(env)
	if err != nil {
		writeI32(int32(nexus.ErrInvalid))
		return
	}
	src, ok := e[id]
	switch {
	case !ok:
		writeI32(int32(nexus.ErrNotFound))
	case !src.Succeeded():
		writeI32(int32(nexus.ErrFailed))
	default:
		writeValue(src.Output, true, nil, c)
	}
}

func writeI32(v int32) {
	nexus.Output.Write(binary.LittleEndian.AppendUint32(nil, uint32(v)))
}

// sink keeps the results of SPIN, ALLOC and RECURSE live.
var (
	sink  uint64
	heaps [][]byte
)

func spin(n uint64) {
	x := sink
	for i := uint64(0); i < n; i++ {
		x = x*31 + i
	}
	sink = x
}

func alloc(mib uint32) {
	b := make([]byte, uint64(mib)<<20) // a failed allocation ends the task
	for i := 0; i < len(b); i += 4 << 10 {
		b[i] = 1
	}
	heaps = append(heaps, b)
}

// recurse makes depth nested calls.
//
//go:noinline
func recurse(depth uint32) uint32 {
	if depth == 0 {
		return 0
	}
	return recurse(depth-1) + 1
}

// rawOutputWrite is output_write with unchecked arguments, for the
// out-of-bounds test; the SDK only ever passes Go memory.
//
//go:wasmimport nexus_v1 output_write
func rawOutputWrite(ptr, n uint32) int32

// script is the unread rest of the command script. Reads past its end set
// bad and return zero values.
type script struct {
	b   []byte
	bad bool
}

func (s *script) take(n uint64) []byte {
	if s.bad || uint64(len(s.b)) < n {
		s.bad = true
		return nil
	}
	p := s.b[:n:n]
	s.b = s.b[n:]
	return p
}

func (s *script) u8() byte {
	if p := s.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (s *script) u32() uint32 {
	if p := s.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}

func (s *script) u64() uint64 {
	if p := s.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}

func (s *script) bytes() []byte { return s.take(uint64(s.u32())) }
