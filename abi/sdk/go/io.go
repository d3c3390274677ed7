//go:build wasip1

package nexus

import "io"

// InputLen returns the size of the task's input in bytes.
func InputLen() int { return int(inputLen()) }

// ReadInput copies up to len(p) further bytes of input into p and returns
// the count, continuing where the previous read stopped; 0 means all input
// was read. It is io.Reader without the error. The task function gets the
// whole input already read, so it only ever sees 0 here.
func ReadInput(p []byte) int { return int(inputRead(bytesPtr(p), uint32(len(p)))) }

// readInput reads the whole input.
func readInput() []byte {
	buf := make([]byte, InputLen())
	n := 0
	for n < len(buf) {
		r := ReadInput(buf[n:])
		if r <= 0 {
			break
		}
		n += r
	}
	return buf[:n]
}

// Output is the task's output as an io.Writer: each Write appends p with
// one output_write call. Past the output cap a Write writes nothing and
// returns a *CallError for ErrLimit; the task then fails with output_limit
// when it ends. It is what nexus_run writes the task function's result to,
// after anything written here.
var Output io.Writer = output{}

type output struct{}

func (output) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if err := callErr("output_write", outputWrite(bytesPtr(p), uint32(len(p)))); err != nil {
		return 0, err
	}
	return len(p), nil
}
