package store

import (
	"testing"
	"time"

	"github.com/nexustask/nexus/internal/tasks"
)

// benchRecord is a finished task as the durable path writes it.
func benchRecord() *tasks.Record {
	at := time.Date(2026, 12, 6, 8, 0, 0, 123456789, time.UTC)
	return &tasks.Record{ID: "0192b3c4d5e6f708", Module: "echo", Version: 1, State: tasks.Succeeded,
		Priority: 5, Fuel: 1e9, MemoryBytes: 64 << 20, TimeoutMs: 30_000, MaxRetries: 3, Attempts: 1,
		SubmittedAt: at, QueuedAt: at, StartedAt: at, FinishedAt: at, ExpiresAt: at.Add(24 * time.Hour),
		FuelUsed: 1234, Output: []byte("hello, world"), Input: []byte("hello, world"), InputBytes: 12}
}

// BenchmarkTaskEncode measures encoding a record as CommitTasks stores it.
func BenchmarkTaskEncode(b *testing.B) {
	r := benchRecord()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := encodeTask(r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTaskDecode measures decoding a stored record.
func BenchmarkTaskDecode(b *testing.B) {
	enc, err := encodeTask(benchRecord())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		var tr taskRecord
		if err := decodeTaskRecord(enc, &tr); err != nil {
			b.Fatal(err)
		}
	}
}
