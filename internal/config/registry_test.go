package config_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/nexustask/nexus/internal/config"
)

func TestRegistry(t *testing.T) {
	r := config.NewRegistry[*opts]()
	var applied []string
	commit := func(key string) config.Prepare[*opts] {
		return func(o *opts) (func(), error) {
			if o.workers < 0 {
				return nil, errors.New("negative")
			}
			return func() { applied = append(applied, key) }, nil
		}
	}
	r.Register("workers", commit("workers"))
	r.Register("rate", commit("rate"))
	var re *config.RefusedError
	if err := r.Apply([]string{"workers", "addr", "timeout"}, &opts{}); !errors.As(err, &re) ||
		!reflect.DeepEqual(re.Keys, []string{"addr", "timeout"}) || len(applied) > 0 {
		t.Fatalf("Apply of refused keys: %v, applied %v", err, applied)
	}
	var ke *config.KeyError
	if err := r.Apply([]string{"rate", "workers"}, &opts{workers: -1}); !errors.As(err, &ke) || ke.Key != "rate" || len(applied) > 0 {
		t.Fatalf("Apply of a refused value: %v, applied %v", err, applied)
	}
	if err := r.Apply([]string{"rate", "workers"}, &opts{}); err != nil || !reflect.DeepEqual(applied, []string{"rate", "workers"}) {
		t.Fatalf("Apply: %v, applied %v", err, applied)
	}
	if !reflect.DeepEqual(r.Keys(), []string{"rate", "workers"}) {
		t.Errorf("Keys = %v", r.Keys())
	}
	defer func() {
		if recover() == nil {
			t.Error("a second registration of a key did not panic")
		}
	}()
	r.Register("rate", commit("rate"))
}

func TestDiff(t *testing.T) {
	_, a, err := load(t, nil, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, b, err := load(t, []string{"--workers", "2", "--rate", "a=1"}, config.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range config.Diff(a, b) {
		keys = append(keys, c.Key)
	}
	if !reflect.DeepEqual(keys, []string{"rate", "workers"}) {
		t.Errorf("Diff = %v", keys)
	}
}
