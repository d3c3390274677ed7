// Package wasmbin reads and writes the few forms of the WebAssembly binary
// format the host needs before wazero sees a module: section framing,
// LEB128 numbers, names and limits. It does not validate modules; wazero
// does that.
package wasmbin

import "errors"

// Magic is the first four bytes of every module binary: "\0asm".
var Magic = []byte{0x00, 0x61, 0x73, 0x6d}

// ErrEOF is returned by a Reader that runs out of bytes.
var ErrEOF = errors.New("unexpected end of data")

// Reader decodes a module binary from B, starting at Off, which every
// method advances past what it read. It is a value to copy, not safe for
// concurrent use.
type Reader struct {
	B   []byte
	Off int
}

// Byte reads one byte.
func (r *Reader) Byte() (byte, error) {
	if r.Off >= len(r.B) {
		return 0, ErrEOF
	}
	c := r.B[r.Off]
	r.Off++
	return c, nil
}

// Bytes returns the next n bytes, sharing B's array.
func (r *Reader) Bytes(n uint32) ([]byte, error) {
	if uint64(r.Off)+uint64(n) > uint64(len(r.B)) {
		return nil, ErrEOF
	}
	b := r.B[r.Off : r.Off+int(n)]
	r.Off += int(n)
	return b, nil
}

// U32 reads an unsigned LEB128 number of at most 32 bits.
func (r *Reader) U32() (uint32, error) {
	var v uint32
	for shift := 0; shift < 35; shift += 7 {
		c, err := r.Byte()
		if err != nil {
			return 0, err
		}
		v |= uint32(c&0x7f) << shift
		if c&0x80 == 0 {
			return v, nil
		}
	}
	return 0, errors.New("LEB128 value overflows 32 bits")
}

// SkipLEB skips one LEB128 number of any sign and up to 64 bits.
func (r *Reader) SkipLEB() error {
	for i := 0; i < 10; i++ {
		c, err := r.Byte()
		if err != nil {
			return err
		}
		if c&0x80 == 0 {
			return nil
		}
	}
	return errors.New("LEB128 value too long")
}

// Name reads a length-prefixed name.
func (r *Reader) Name() (string, error) {
	n, err := r.U32()
	if err != nil {
		return "", err
	}
	b, err := r.Bytes(n)
	return string(b), err
}

// Limits reads a limits structure; flag bit 0 says a maximum follows.
func (r *Reader) Limits() (min, max uint32, err error) {
	flag, err := r.Byte()
	if err != nil {
		return 0, 0, err
	}
	if min, err = r.U32(); err != nil {
		return 0, 0, err
	}
	if flag&1 != 0 {
		max, err = r.U32()
	}
	return min, max, err
}

// AppendULEB appends v to b as an unsigned LEB128 number.
func AppendULEB(b []byte, v uint64) []byte {
	for {
		c := byte(v & 0x7f)
		v >>= 7
		if v != 0 {
			b = append(b, c|0x80)
			continue
		}
		return append(b, c)
	}
}
