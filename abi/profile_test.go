package abi_test

import (
	"errors"
	"testing"

	"github.com/nexustask/nexus/abi"
)

func TestDetectProfile(t *testing.T) {
	tests := []struct {
		exports []string
		want    abi.Profile
		err     bool
	}{
		{[]string{"_start", "memory"}, abi.ProfileWASICommand, false},
		{[]string{"_start"}, abi.ProfileWASICommand, false},
		{[]string{"nexus_run", "memory", "_initialize"}, abi.ProfileNexusV1, false},
		{[]string{"nexus_run"}, "", true},
		{[]string{"nexus_run", "_start", "memory"}, "", true},
		{[]string{"main", "memory"}, "", true},
		{nil, "", true},
	}
	for _, tt := range tests {
		got, err := abi.DetectProfile(tt.exports)
		if got != tt.want || (err != nil) != tt.err {
			t.Errorf("DetectProfile(%v) = %q, %v", tt.exports, got, err)
		}
	}
	if _, err := abi.DetectProfile([]string{"memory"}); !errors.Is(err, abi.ErrNoProfile) {
		t.Errorf("err = %v, want ErrNoProfile", err)
	}
}

func TestCheckImportExport(t *testing.T) {
	for _, tt := range []struct {
		module, name string
		ok           bool
	}{
		{"wasi_snapshot_preview1", "fd_write", true},
		{"nexus_v1", "input_read", true},
		{"nexus_v1", "launch_missiles", false},
		{"env", "memory", false},
		{"nexus_fuel", "slice", false},
	} {
		if err := abi.CheckImport(tt.module, tt.name); (err == nil) != tt.ok {
			t.Errorf("CheckImport(%s, %s) = %v", tt.module, tt.name, err)
		}
	}
	if abi.CheckExport("__nexus_fuel") == nil || abi.CheckExport("nexus_run") != nil {
		t.Error("CheckExport")
	}
}
