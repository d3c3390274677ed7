package tasks

import "unicode/utf8"

// OutputTailBytes bounds what is kept of a failed task's output: the last
// 4 KiB it wrote before failing, given with its error (Record.ErrorOutput
// and the API error shape's "output"), so that what a task printed before
// it trapped or exited non-zero is not lost.
const OutputTailBytes = 4 << 10

// OutputTail returns the end of out, at most OutputTailBytes, and whether
// bytes before it were left out. A cut starts at the next UTF-8 character
// boundary when one is within utf8.UTFMax bytes, so that a text output's
// tail does not begin with half a character.
func OutputTail(out []byte) (tail []byte, truncated bool) {
	if len(out) <= OutputTailBytes {
		return out, false
	}
	tail = out[len(out)-OutputTailBytes:]
	for i := 0; i < utf8.UTFMax && i < len(tail); i++ {
		if utf8.RuneStart(tail[i]) {
			return tail[i:], true
		}
	}
	return tail, true
}
