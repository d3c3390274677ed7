package nexus_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/nexustask/nexus/abi"
	nexus "github.com/nexustask/nexus/abi/sdk/go"
)

func TestCodesMatchABI(t *testing.T) {
	for _, c := range []struct {
		code nexus.Code
		abi  int32
		msg  string
	}{
		{nexus.ErrNotFound, abi.ErrNotFound, "nexus: not found"},
		{nexus.ErrLimit, abi.ErrLimit, "nexus: limit reached"},
		{nexus.ErrDenied, abi.ErrDenied, "nexus: denied"},
		{nexus.ErrInvalid, abi.ErrInvalid, "nexus: invalid argument"},
		{nexus.ErrInternal, abi.ErrInternal, "nexus: host internal error"},
		{nexus.Code(-9), -9, "nexus: result code -9"},
	} {
		if int32(c.code) != c.abi || c.code.Error() != c.msg {
			t.Errorf("code %d: %q, want %d %q", c.code, c.code.Error(), c.abi, c.msg)
		}
	}
}

func TestCallErrorUnwraps(t *testing.T) {
	err := fmt.Errorf("saving: %w", &nexus.CallError{Import: "kv_set", Code: nexus.ErrLimit})
	if !errors.Is(err, nexus.ErrLimit) || errors.Is(err, nexus.ErrDenied) {
		t.Errorf("errors.Is does not match the code of %v", err)
	}
	var c nexus.Code
	if !errors.As(err, &c) || c != nexus.ErrLimit {
		t.Errorf("errors.As: %v", c)
	}
}

func TestTaskError(t *testing.T) {
	if got := (&nexus.TaskError{Code: 3}).Error(); got != "task failed with code 3" {
		t.Errorf("empty message: %q", got)
	}
	if got := (&nexus.TaskError{Code: 3, Message: "bad input"}).Error(); got != "bad input" {
		t.Errorf("message: %q", got)
	}
}

func TestLevelString(t *testing.T) {
	for l, want := range map[nexus.Level]string{
		nexus.LevelDebug: "debug", nexus.LevelInfo: "info", nexus.LevelWarn: "warn",
		nexus.LevelError: "error", 7: "level(7)",
	} {
		if l.String() != want {
			t.Errorf("%d: %q, want %q", int32(l), l.String(), want)
		}
	}
}

func ExampleCallError() {
	err := &nexus.CallError{Import: "kv_set", Code: nexus.ErrLimit}
	fmt.Println(err)
	fmt.Println(errors.Is(err, nexus.ErrLimit))
	// Output:
	// nexus: kv_set: limit reached
	// true
}
