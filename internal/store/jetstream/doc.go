// Package jetstream is NexusTask's cluster store: the store interfaces
// (tasks.Store, schedule.Store, modules.Store, host.KV) implemented on NATS
// JetStream, so that several nodes share one store. It is the one package
// that imports nats.go and nats-server.
//
// Task records, idempotency keys, checkpoints, guest kv and its totals,
// schedules, their runs and module records are messages of one stream
// used as a table: one message per subject (MaxMsgsPerSubject 1), the
// subject's last sequence being its revision. A transaction reads the
// subjects it touches, checks the interfaces' conditions as the bbolt
// store does, and publishes every change in one atomic batch whose
// messages each expect the sequence that was read
// (Nats-Expected-Last-Subject-Sequence): all apply or none, and a batch
// that lost a race to another writer is read and checked again. Module
// bytes and artifacts are objects of an Object Store. RATIONALE.md
// ("Cluster mode") gives the design and its failure cases.
//
// Embedded starts a nats-server with JetStream inside the process, for
// `nexus serve --nats-embedded` and for tests.
package jetstream
