package tasks_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"testing"

	"github.com/nexustask/nexus/internal/errkind"
	"github.com/nexustask/nexus/internal/tasks"
)

func TestDecodeSpec(t *testing.T) {
	t.Parallel()
	cases := []struct {
		body string
		ok   bool
	}{
		{`{"module":"m","input":"hi","priority":9,"tags":["a","b"],"delay_ms":5,"max_retries":0}`, true},
		{`{"module":"m","input_base64":"aGk="}`, true},
		{`{"module":"m","run_at":"2030-01-01T00:00:00Z","idempotency_key":"k","category":"c","cache_ttl_ms":10}`, true},
		{`{"module":"M"}`, false},
		{`{"module":"m","input":"a","input_base64":"YQ=="}`, false},
		{`{"module":"m","input_base64":"%%"}`, false},
		{`{"module":"m","priority":-1}`, false},
		{`{"module":"m","max_retries":101}`, false},
		{`{"module":"m","delay_ms":-1}`, false},
		{`{"module":"m","run_at":"2030-01-01T00:00:00Z","delay_ms":1}`, false},
		{`{"module":"m","tags":["Bad Tag"]}`, false},
		{`{"module":"m","unknown":1}`, false},
		{`[{"module":"m"}]`, false},
		{``, false},
	}
	for _, c := range cases {
		s, err := tasks.DecodeSpec([]byte(c.body))
		if (err == nil) != c.ok {
			t.Errorf("%s: err %v, want ok=%v", c.body, err, c.ok)
		}
		if err != nil && !errors.Is(err, errkind.ErrInvalidRequest) {
			t.Errorf("%s: %v is not invalid_request", c.body, err)
		}
		if err == nil && c.body[len(`{"module":"m","input`):][0] == '"' && string(s.Input) != "hi" {
			t.Errorf("%s: input %q", c.body, s.Input)
		}
	}
}

// FuzzDecodeSpec checks that DecodeSpec never panics and that every spec
// it accepts survives MarshalJSON and a second decoding unchanged.
func FuzzDecodeSpec(f *testing.F) {
	f.Add([]byte(`{"module":"m","input":"hi","priority":3,"tags":["t"],"delay_ms":5}`))
	f.Add([]byte(`{"module":"m","input_base64":"AAEC","run_at":"2030-01-01T00:00:00Z","config":{"k":"v"}}`))
	f.Add([]byte(`{"module":"m","max_retries":2,"idempotency_key":"k"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := tasks.DecodeSpec(body)
		if err != nil {
			return
		}
		enc, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("marshal %+v: %v", s, err)
		}
		s2, err := tasks.DecodeSpec(enc)
		if err != nil {
			t.Fatalf("%s decoded, its encoding %s did not: %v", body, enc, err)
		}
		enc2, _ := json.Marshal(s2)
		if !bytes.Equal(enc, enc2) {
			t.Fatalf("round trip changed %s into %s", enc, enc2)
		}
	})
}
