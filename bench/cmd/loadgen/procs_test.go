package main

import (
	"strings"
	"testing"
)

func TestListeningAddr(t *testing.T) {
	log := `{"time":"t","level":"INFO","msg":"GOMAXPROCS raised above the worker tokens","gomaxprocs":3}
{"time":"t","level":"INFO","msg":"listening","addr":"127.0.0.1:40123","data_dir":"/tmp/x"}
{"time":"t","level":"INFO","msg":"ready"}
`
	if addr, err := listeningAddr(strings.NewReader(log)); err != nil || addr != "127.0.0.1:40123" {
		t.Fatalf("%q %v", addr, err)
	}
	_, err := listeningAddr(strings.NewReader("Error: --request-log: request log must be all, errors or off, not \"x\"\n"))
	if err == nil || !strings.Contains(err.Error(), "--request-log") {
		t.Fatalf("exit before listening: %v", err)
	}
}
