package exampletest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"github.com/nexustask/nexus/host"
)

// SHA256Inputs returns inputs of the sha256 specification, "R:text":
// empty and repeated texts, texts that end at and across block
// boundaries, and a long run.
func SHA256Inputs() []string {
	block := strings.Repeat("0123456789abcdef", 9) // 144 bytes: crosses block boundaries
	var in []string
	for _, c := range []struct {
		repeat int
		text   string
	}{
		{0, ""}, {1, ""}, {1, "abc"}, {3, "abc"}, {1, "a:b"}, {1000, "hello world"},
		{1, strings.Repeat("x", 55)}, {1, strings.Repeat("x", 56)}, {1, strings.Repeat("x", 64)},
		{7, block}, {100000, "NexusTask"},
	} {
		in = append(in, fmt.Sprintf("%d:%s", c.repeat, c.text))
	}
	return in
}

// SHA256 checks the language's sha256 against crypto/sha256, and that
// malformed inputs fail the task.
func SHA256(t *testing.T, l Lang) {
	e := NewEnv(t)
	m := l.compile(t, e, "sha256")
	for _, input := range SHA256Inputs() {
		r, text, _ := strings.Cut(input, ":")
		var repeat int
		fmt.Sscan(r, &repeat)
		sum := sha256.Sum256([]byte(strings.Repeat(text, repeat)))
		res := e.Run(t, m, "sha256", host.Request{Input: []byte(input)})
		if got, want := string(res.Output), hex.EncodeToString(sum[:]); got != want {
			t.Errorf("%.40q: output %s, want %s", input, got, want)
		}
	}
	for _, input := range []string{"", "abc", "x:abc", "-1:abc"} {
		msg := e.TaskError(t, m, host.Request{Input: []byte(input)})
		if p := l.Messages.InputPrefix; p != "" && !strings.HasPrefix(msg, p) {
			t.Errorf("%q: error %q, want it to start with %q", input, msg, p)
		}
	}
}
