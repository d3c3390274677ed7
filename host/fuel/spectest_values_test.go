package fuel_test

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// matchExpected compares results with the spec's expectations, following
// the spec for NaNs: nan:canonical and nan:arithmetic match classes of bit
// patterns, any other value matches exactly.
func matchExpected(exp []specValue, o outcome) string {
	pos := 0
	for _, e := range exp {
		if e.Type == "v128" {
			if pos+2 > len(o.values) {
				return "too few results"
			}
			if !laneMatch(e, o.values[pos], o.values[pos+1]) {
				return fmt.Sprintf("result %d: want %v, got %x %x", pos, e.Value, o.values[pos], o.values[pos+1])
			}
			pos += 2
			continue
		}
		if pos >= len(o.values) {
			return "too few results"
		}
		got := o.values[pos]
		pos++
		s, _ := e.Value.(string)
		ok := true
		switch {
		case e.Value == nil: // any reference of the type
		case e.Type == "funcref" || e.Type == "externref":
			ok = (s == "null") == (got == 0)
			if e.Type == "externref" && s != "null" {
				ok = got == e.uint64s()[0]
			}
		case e.Type == "f32":
			ok = floatMatch(s, got&0xffffffff, 32)
		case e.Type == "f64":
			ok = floatMatch(s, got, 64)
		case e.Type == "i32":
			ok = uint32(got) == uint32(e.uint64s()[0])
		default:
			ok = got == e.uint64s()[0]
		}
		if !ok {
			return fmt.Sprintf("result %d: want %s %v, got %#x", pos-1, e.Type, e.Value, got)
		}
	}
	if pos != len(o.values) {
		return fmt.Sprintf("want %d result slots, got %d", pos, len(o.values))
	}
	return ""
}

// floatMatch compares the bits of a float of width bits with an expected
// value from the spec suite.
func floatMatch(exp string, got uint64, width int) bool {
	expMask, quiet := uint64(0x7f800000), uint64(0x00400000)
	payload := uint64(0x007fffff)
	if width == 64 {
		expMask, quiet, payload = 0x7ff0000000000000, 0x0008000000000000, 0x000fffffffffffff
	}
	switch exp {
	case "nan:canonical":
		return got&^(1<<(width-1)) == expMask|quiet
	case "nan:arithmetic":
		return got&expMask == expMask && got&quiet != 0
	}
	_ = payload
	v, err := strconv.ParseUint(exp, 10, width)
	return err == nil && v == got
}

func laneMatch(e specValue, lo, hi uint64) bool {
	lanes, _ := e.Value.([]any)
	width := map[string]int{"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}[e.LaneType]
	if width == 0 || len(lanes) != 128/width {
		return false
	}
	per := 64 / width
	for i, l := range lanes {
		word := lo
		if i >= per {
			word = hi
		}
		shift := uint(i%per) * uint(width)
		got := word >> shift
		if width < 64 {
			got &= 1<<width - 1
		}
		s, _ := l.(string)
		if e.LaneType[0] == 'f' {
			if !floatMatch(s, got, width) {
				return false
			}
			continue
		}
		v, err := parseInt(s, width)
		if err != nil || v != got {
			return false
		}
	}
	return true
}

// parseInt parses a decimal integer of width bits, signed or not, to its bits.
func parseInt(s string, width int) (uint64, error) {
	if strings.HasPrefix(s, "-") {
		v, err := strconv.ParseInt(s, 10, width)
		if width < 64 {
			return uint64(v) & (1<<width - 1), err
		}
		return uint64(v), err
	}
	return strconv.ParseUint(s, 10, width)
}

// uint64s encodes an argument the way wazero's API takes it.
func (v specValue) uint64s() []uint64 {
	s, _ := v.Value.(string)
	switch v.Type {
	case "v128":
		lanes, _ := v.Value.([]any)
		width := map[string]int{"i8": 8, "i16": 16, "i32": 32, "i64": 64, "f32": 32, "f64": 64}[v.LaneType]
		var lo, hi uint64
		per := 64 / width
		for i, l := range lanes {
			ls, _ := l.(string)
			x, _ := parseInt(ls, width)
			if strings.HasPrefix(ls, "nan") {
				x = nanBits(ls, width)
			}
			if i < per {
				lo |= x << (uint(i) * uint(width))
			} else {
				hi |= x << (uint(i-per) * uint(width))
			}
		}
		return []uint64{lo, hi}
	case "externref":
		if s == "null" || v.Value == nil {
			return []uint64{0}
		}
		x, _ := strconv.ParseUint(s, 10, 64)
		return []uint64{x + 1}
	case "funcref":
		return []uint64{0}
	case "f32", "f64":
		width := 32
		if v.Type == "f64" {
			width = 64
		}
		if strings.HasPrefix(s, "nan") {
			return []uint64{nanBits(s, width)}
		}
		x, _ := strconv.ParseUint(s, 10, width)
		return []uint64{x}
	case "i32":
		x, _ := parseInt(s, 32)
		return []uint64{x}
	}
	x, _ := parseInt(s, 64)
	return []uint64{x}
}

func nanBits(s string, width int) uint64 {
	if width == 32 {
		return uint64(math.Float32bits(float32(math.NaN())))
	}
	return math.Float64bits(math.NaN())
}
