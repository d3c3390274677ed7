package envelope_test

import (
	"errors"
	"testing"

	"github.com/nexustask/nexus/abi/sdk/go/envelope"
)

func TestReadEnvelope(t *testing.T) {
	in := `{"a": "aGVsbG8=", "b": "", "c": {"state": "failed", "error_code": "trap", "error_message": "boom"}}`
	env, err := envelope.Read([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if out, ok := env.Output("a"); !ok || string(out) != "hello" {
		t.Fatalf("a: %q %v", out, ok)
	}
	if out, ok := env.Output("b"); !ok || len(out) != 0 {
		t.Fatalf("b: %q %v", out, ok)
	}
	if c := env["c"]; c.Succeeded() || c.State != "failed" || c.ErrorCode != "trap" || c.ErrorMessage != "boom" {
		t.Fatalf("c: %+v", c)
	}
	if _, ok := env.Output("c"); ok {
		t.Fatal("a failed step has an output")
	}
	if _, ok := env.Output("d"); ok {
		t.Fatal("a missing step has an output")
	}
	for _, bad := range []string{`[]`, `{"a": 1}`, `{"a": "!!"}`, `{"a": {}}`, `not json`} {
		if _, err := envelope.Read([]byte(bad)); !errors.Is(err, envelope.ErrInvalid) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}
