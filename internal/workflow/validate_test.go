package workflow

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nexustask/nexus/internal/errkind"
)

func TestValidateProblems(t *testing.T) {
	missing := func(_ context.Context, name string, _ int) error {
		if strings.HasPrefix(name, "gone") {
			return errors.New("not found")
		}
		return nil
	}
	for _, c := range []struct {
		body string
		want []string
	}{
		{`{"steps": [{"id": "a", "module": "m", "depends_on": ["c"]}, {"id": "b", "module": "m", "depends_on": ["a"]}, {"id": "c", "module": "m", "depends_on": ["b"]}]}`,
			[]string{"cycle: a → c → b → a"}},
		{`{"steps": [{"id": "a", "module": "m", "depends_on": ["a"]}]}`, []string{"cycle: a → a"}},
		{`{"steps": [{"id": "a", "module": "gone1"}, {"id": "b", "module": "gone2", "depends_on": ["x", "group:g"]}]}`,
			[]string{`unknown step "x"`, `unknown group "g"`, "missing modules: gone1, gone2"}},
		{`{"steps": [{"id": "a", "module": "m", "group": "g"}, {"id": "b", "module": "m", "depends_on": ["group:g"], "input_from": ["a", "c"]}, {"id": "c", "module": "m"}]}`,
			[]string{`input from "c", which is not one of its dependencies`}},
		{`{"steps": [{"id": "a", "module": "m", "on_failure": "retry"}]}`, []string{`on_failure "retry"`}},
		{`{"steps": [{"id": "a", "module": "m"}, {"id": "b", "map": {"module": "m"}}]}`, []string{"a map step needs input_from"}},
	} {
		d, err := Decode([]byte(c.body))
		if err == nil {
			_, err = validate(context.Background(), &d, DefaultMaxSteps, missing)
		}
		if !errors.Is(err, errkind.ErrInvalidRequest) {
			t.Fatalf("%s: %v, want invalid_request", c.body, err)
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %v, want it to name %q", c.body, err, w)
			}
		}
	}
}

func TestValidateGroupsAndInputs(t *testing.T) {
	d, err := Decode([]byte(`{"steps": [
		{"id": "a", "module": "m", "group": "g"}, {"id": "b", "module": "m", "group": "g"},
		{"id": "c", "module": "m", "depends_on": ["group:g", "a"], "input_from": ["b", "a"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	g, err := validate(context.Background(), &d, DefaultMaxSteps, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.deps[2]; len(got) != 2 || got[0] != 0 || got[1] != 1 {
		t.Fatalf("deps of c: %v, want [0 1] (the group expanded, a once)", got)
	}
	if got := g.inputs[2]; len(got) != 2 || got[0] != 1 || got[1] != 0 {
		t.Fatalf("inputs of c: %v, want [1 0] (input_from's order)", got)
	}
	if !d.Steps[2].Envelope {
		t.Fatal("a list input_from is an envelope")
	}
}

func TestEnvelopeEntry(t *testing.T) {
	if got := string(envelopeEntry("succeeded", []byte("hi"), "", "")); got != `"aGk="` {
		t.Fatalf("succeeded: %s", got)
	}
	if got := string(envelopeEntry("failed", nil, "trap", "boom")); got != `{"state":"failed","error_code":"trap","error_message":"boom"}` {
		t.Fatalf("failed: %s", got)
	}
	if got := string(envelopeEntry("skipped", nil, "", "")); got != `{"state":"skipped"}` {
		t.Fatalf("skipped: %s", got)
	}
}

func TestDecodeShapes(t *testing.T) {
	d, err := DecodeChain([]byte(`{"tasks": [{"module": "m", "input": "x"}, {"module": "m"}]}`))
	if err != nil || d.Steps[1].InputFrom[0] != "t0" || d.Steps[1].Envelope {
		t.Fatalf("chain: %+v %v", d, err)
	}
	if _, err := DecodeChain([]byte(`{"tasks": [{"module": "m"}, {"module": "m", "input": "y"}]}`)); err == nil {
		t.Fatal("a chain's second task with its own input was accepted")
	}
	d, err = DecodeBatch([]byte(`{"tasks": [{"module": "m"}], "callback": {"url": "https://example.com/cb"}}`))
	if err != nil || d.On != OnSuccess || d.Callback.URL == "" || d.Steps[0].OnFailure != OnFailureContinue {
		t.Fatalf("batch: %+v %v", d, err)
	}
	if _, err := DecodeBatch([]byte(`{"tasks": [{"module": "m"}]}`)); err == nil {
		t.Fatal("a batch without a callback was accepted")
	}
	if _, err := DecodeBatch([]byte(`{"tasks": [{"module": "m"}], "callback": {"module": "m"}, "on": "never"}`)); err == nil {
		t.Fatal("on: never was accepted")
	}
	def, err := encodeDef(&d)
	if err != nil {
		t.Fatal(err)
	}
	back, err := decodeDef(def)
	if err != nil || back.Callback.URL != d.Callback.URL || back.Steps[0].Spec.Module != "m" {
		t.Fatalf("definition round trip: %+v %v", back, err)
	}
}
