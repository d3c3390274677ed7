package config_test

import (
	"testing"

	"github.com/nexustask/nexus/internal/config"
)

func TestJSONToYAML(t *testing.T) {
	got, err := config.JSONToYAML([]byte(`{"name":"echo","version":2,"tags":["a","true"],"ok":true,"n":null,"x":{"b":"1","a":"x: y"}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := "name: echo\nversion: 2\ntags:\n  - a\n  - \"true\"\nok: true\nn: null\nx:\n  b: \"1\"\n  a: 'x: y'\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if _, err := config.JSONToYAML([]byte(`{"a":`)); err == nil {
		t.Error("accepted broken JSON")
	}
}
