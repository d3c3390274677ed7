package conformance

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
)

// expectedOutput builds the output a case expects for a task given input.
func (c *Case) expectedOutput(input []byte) ([]byte, error) {
	var out []byte
	for i, raw := range c.Expect.Output {
		var marker struct {
			InputLen bool `json:"input_len"`
		}
		if json.Unmarshal(raw, &marker) == nil && marker.InputLen {
			out = binary.LittleEndian.AppendUint32(out, uint32(len(input)))
			continue
		}
		b, err := decodeBytes(raw)
		if err != nil {
			return nil, fmt.Errorf("expected output record %d: %w", i, err)
		}
		out = append(out, b...)
	}
	return out, nil
}

// Check reports how o differs from what the case expects, or nil.
func (c *Case) Check(o Outcome, input []byte) error {
	var problems []string
	if o.Code != c.Expect.Error {
		want := c.Expect.Error
		if want == "" {
			want = "success"
		}
		got := o.Code
		if got == "" {
			got = "success"
		}
		problems = append(problems, fmt.Sprintf("got %s, want %s", got, want))
		if o.Message != "" {
			problems = append(problems, "message: "+firstLine(o.Message))
		}
	} else if c.Expect.Message != "" && !strings.Contains(o.Message, c.Expect.Message) {
		problems = append(problems, fmt.Sprintf("message %q lacks %q", firstLine(o.Message), c.Expect.Message))
	}
	if c.Expect.Output != nil && o.Code == "" {
		want, err := c.expectedOutput(input)
		if err != nil {
			return err
		}
		if !bytes.Equal(o.Output, want) {
			problems = append(problems, describeDiff(o.Output, want))
		}
	}
	if o.HasLogs {
		for _, l := range c.Expect.Logs {
			if !strings.Contains(o.Logs, l) {
				problems = append(problems, fmt.Sprintf("logs lack %q (logs: %q)", l, clip(o.Logs, 200)))
			}
		}
	}
	if p := c.Expect.Progress; p != nil && o.HasProgress && o.Progress != *p {
		problems = append(problems, fmt.Sprintf("progress %v, want %v", o.Progress, *p))
	}
	if len(problems) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(problems, "; "))
}

// describeDiff says where got first differs from want.
func describeDiff(got, want []byte) string {
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	return fmt.Sprintf("output differs at byte %d: got %d bytes %q, want %d bytes %q",
		i, len(got), clip(string(got[min(i, len(got)):]), 40), len(want), clip(string(want[min(i, len(want)):]), 40))
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}
