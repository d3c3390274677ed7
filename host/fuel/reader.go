package fuel

import "fmt"

// reader decodes WebAssembly binary primitives. pos is an absolute offset in
// the original input, so errors point at the right byte; b is the input
// sliced to the end of the region being read.
type reader struct {
	b   []byte
	pos int
}

func (r *reader) errorf(format string, args ...any) error {
	return &DecodeError{Offset: r.pos, Msg: fmt.Sprintf(format, args...)}
}

func (r *reader) eof() bool { return r.pos >= len(r.b) }

func (r *reader) byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, r.errorf("unexpected end")
	}
	c := r.b[r.pos]
	r.pos++
	return c, nil
}

// bytes returns the next n bytes without copying.
func (r *reader) bytes(n uint32) ([]byte, error) {
	if uint64(n) > uint64(len(r.b)-r.pos) {
		return nil, r.errorf("length %d out of bounds", n)
	}
	s := r.b[r.pos : r.pos+int(n)]
	r.pos += int(n)
	return s, nil
}

// u32 reads an unsigned LEB128 value of at most 32 bits.
func (r *reader) u32() (uint32, error) {
	// Fast path: one byte.
	if r.pos < len(r.b) && r.b[r.pos] < 0x80 {
		c := r.b[r.pos]
		r.pos++
		return uint32(c), nil
	}
	var v uint32
	for shift := uint(0); ; shift += 7 {
		if r.pos >= len(r.b) {
			return 0, r.errorf("unexpected end of LEB128")
		}
		c := r.b[r.pos]
		r.pos++
		if shift == 28 && c > 0x0f {
			return 0, r.errorf("integer representation too long or too large")
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
}

// sleb reads a signed LEB128 value of at most bits bits (32, 33 or 64).
func (r *reader) sleb(bits uint) (int64, error) {
	var v int64
	var shift uint
	for {
		if r.pos >= len(r.b) {
			return 0, r.errorf("unexpected end of LEB128")
		}
		c := r.b[r.pos]
		r.pos++
		if shift == 63 && c != 0 && c != 0x7f {
			return 0, r.errorf("integer representation too long or too large")
		}
		v |= int64(c&0x7f) << shift
		shift += 7
		if c&0x80 == 0 {
			if shift < 64 && c&0x40 != 0 {
				v |= -1 << shift
			}
			if bits < 64 && (v < -(1<<(bits-1)) || v >= 1<<(bits-1)) {
				return 0, r.errorf("integer too large")
			}
			return v, nil
		}
		if shift >= bits {
			return 0, r.errorf("integer representation too long")
		}
	}
}

// name reads a length-prefixed UTF-8 name without copying or validating it.
func (r *reader) name() ([]byte, error) {
	n, err := r.u32()
	if err != nil {
		return nil, err
	}
	return r.bytes(n)
}

func appendU32(b []byte, v uint32) []byte {
	for v >= 0x80 {
		b = append(b, byte(v)|0x80)
		v >>= 7
	}
	return append(b, byte(v))
}

func appendS64(b []byte, v int64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if (v == 0 && c&0x40 == 0) || (v == -1 && c&0x40 != 0) {
			return append(b, c)
		}
		b = append(b, c|0x80)
	}
}

func appendName(b []byte, s string) []byte {
	b = appendU32(b, uint32(len(s)))
	return append(b, s...)
}
