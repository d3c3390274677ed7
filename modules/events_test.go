package modules_test

import (
	"context"
	"os"
	"slices"
	"testing"

	"github.com/nexustask/nexus/modules"
)

func TestOnChange(t *testing.T) {
	ctx := context.Background()
	r := newRegistry(t, t.TempDir(), modules.DefaultConfig())
	var got []modules.Event
	r.OnChange(func(e modules.Event) {
		// The change is visible to the listener.
		if _, _, err := r.Resolve(ctx, e.Name, e.Version); (err == nil) != (e.Kind == modules.EventPut) {
			t.Errorf("%+v: resolve in listener: %v", e, err)
		}
		got = append(got, e)
	})
	echo, err := os.ReadFile("../examples/wat/echo.wasm")
	if err != nil {
		t.Fatal(err)
	}
	counter, err := os.ReadFile("../examples/wat/counter.wasm")
	if err != nil {
		t.Fatal(err)
	}
	for _, wasm := range [][]byte{echo, echo, counter} { // the second upload changes nothing
		if _, _, err := r.Put(ctx, "m", wasm); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Delete(ctx, "m"); err != nil {
		t.Fatal(err)
	}
	want := []modules.Event{
		{Kind: modules.EventPut, Name: "m", Version: 1},
		{Kind: modules.EventPut, Name: "m", Version: 2},
		{Kind: modules.EventDelete, Name: "m"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("events %+v, want %+v", got, want)
	}
}
