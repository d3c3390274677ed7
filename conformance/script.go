package conformance

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

// Magic starts every script.
const Magic = "NXC1"

// argKind is the type of one command argument.
type argKind int

const (
	argU32 argKind = iota
	argU64
	argBytes
)

// op describes one command of SCRIPT.md.
type op struct {
	code byte
	args []argKind
}

// ops are the commands by their name in case files.
var ops = map[string]op{
	"output":          {0x01, []argKind{argBytes}},
	"output_repeat":   {0x02, []argKind{argBytes, argU32}},
	"input_len":       {0x03, nil},
	"input_read":      {0x04, []argKind{argU32}},
	"log":             {0x05, []argKind{argU32, argBytes}},
	"progress":        {0x06, []argKind{argU64, argU64}},
	"checkpoint_save": {0x07, []argKind{argBytes}},
	"checkpoint_load": {0x08, []argKind{argU32}},
	"kv_get":          {0x09, []argKind{argBytes, argU32}},
	"kv_set":          {0x0A, []argKind{argBytes, argBytes}},
	"kv_delete":       {0x0B, []argKind{argBytes}},
	"config_get":      {0x0C, []argKind{argBytes, argU32}},
	"fuel":            {0x0D, nil},
	"fail":            {0x0E, []argKind{argBytes, argU32}},
	"trap":            {0x0F, nil},
	"spin":            {0x10, []argKind{argU64}},
	"alloc":           {0x11, []argKind{argU32}},
	"raw_output":      {0x12, []argKind{argU32, argU32}},
	"recurse":         {0x13, []argKind{argU32}},
	"return":          {0x14, []argKind{argU32}},
	"stderr":          {0x15, []argKind{argBytes}},
	"spawn":           {0x16, []argKind{argBytes, argBytes, argBytes}},
	"await":           {0x17, []argKind{argU32, argU32}},
	"await_any":       {0x18, []argKind{argBytes}},
	"envelope":        {0x19, []argKind{argBytes, argBytes, argU32}},
}

// Command is one step of a case's script: its name, then its arguments.
type Command []json.RawMessage

// EncodeScript turns commands into the binary script a guest reads.
func EncodeScript(cmds []Command) ([]byte, error) {
	out := []byte(Magic)
	for i, c := range cmds {
		if len(c) == 0 {
			return nil, fmt.Errorf("command %d is empty", i)
		}
		var name string
		if err := json.Unmarshal(c[0], &name); err != nil {
			return nil, fmt.Errorf("command %d: name: %w", i, err)
		}
		o, ok := ops[name]
		if !ok {
			return nil, fmt.Errorf("command %d: unknown command %q", i, name)
		}
		if len(c)-1 != len(o.args) {
			return nil, fmt.Errorf("command %d (%s): %d arguments, want %d", i, name, len(c)-1, len(o.args))
		}
		out = append(out, o.code)
		for j, kind := range o.args {
			var err error
			if out, err = appendArg(out, kind, c[j+1]); err != nil {
				return nil, fmt.Errorf("command %d (%s) argument %d: %w", i, name, j+1, err)
			}
		}
	}
	return out, nil
}

func appendArg(out []byte, kind argKind, raw json.RawMessage) ([]byte, error) {
	switch kind {
	case argU32:
		var n uint32
		if err := json.Unmarshal(raw, &n); err != nil {
			return nil, err
		}
		return binary.LittleEndian.AppendUint32(out, n), nil
	case argU64:
		var f float64 // allows 1e9
		if err := json.Unmarshal(raw, &f); err != nil || f < 0 || f != float64(uint64(f)) {
			return nil, fmt.Errorf("%s is not a u64", raw)
		}
		return binary.LittleEndian.AppendUint64(out, uint64(f)), nil
	}
	b, err := decodeBytes(raw)
	if err != nil {
		return nil, err
	}
	out = binary.LittleEndian.AppendUint32(out, uint32(len(b)))
	return append(out, b...), nil
}

// bytesSpec is the object form of a byte-string argument or record.
type bytesSpec struct {
	Hex    *string `json:"hex"`
	Repeat *string `json:"repeat"`
	Count  int     `json:"count"`
	I32    *int32  `json:"i32"`
	I64    *int64  `json:"i64"`
}

// decodeBytes reads a byte string written as a JSON string (its UTF-8
// bytes), {"hex": "..."}, {"repeat": "s", "count": n}, {"i32": n} or
// {"i64": n} (little-endian).
func decodeBytes(raw json.RawMessage) ([]byte, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []byte(s), nil
	}
	var spec bytesSpec
	if err := json.Unmarshal(raw, &spec); err != nil {
		return nil, fmt.Errorf("%s is not a byte string", raw)
	}
	switch {
	case spec.Hex != nil:
		return hex.DecodeString(*spec.Hex)
	case spec.Repeat != nil:
		return []byte(strings.Repeat(*spec.Repeat, spec.Count)), nil
	case spec.I32 != nil:
		return binary.LittleEndian.AppendUint32(nil, uint32(*spec.I32)), nil
	case spec.I64 != nil:
		return binary.LittleEndian.AppendUint64(nil, uint64(*spec.I64)), nil
	}
	return nil, fmt.Errorf("%s is not a byte string", raw)
}
