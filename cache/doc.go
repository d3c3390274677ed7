// Package cache is NexusTask's result cache: the outputs of successful runs
// of pure modules, keyed by everything that can change them, held in memory
// on ristretto for a time the request chooses. It is the only package that
// imports ristretto; no exported name mentions a ristretto type.
//
// # What is cached
//
// A Key (see Spec) is the SHA-256 of the module's name and the digest of the
// exact version that runs, its profile, the input, the task configuration,
// the environment and arguments, the scratch grant and the fuel and memory
// limits as requested (a guest can observe its fuel with fuel_remaining and
// its memory quota through memory.grow). The deadline is not part of the
// key: a pure module has no clock, so the deadline can only make a run fail,
// and failures are never stored. Which tasks may be cached is the caller's
// rule (CheckCacheable): a module that declares itself pure and a request
// that grants no real clock and no random source.
//
// # Admission and exact figures
//
// ristretto applies writes asynchronously and its TinyLFU policy may refuse
// a new entry when the cache is full and the entry's estimated frequency is
// lower than that of the entries it would evict. Cache keeps that policy,
// which protects a hot working set from one-off results, and makes its
// outcome known: every write (Set followed by Wait) is serialised by one
// mutex and waits until ristretto has applied it, so when Do returns, the
// entry is either held or was refused and counted as rejected. Lookups of a
// key that misses still feed ristretto's frequency sketch, so a result asked
// for often enough is admitted on a later run.
//
// Cache keeps its own index of what ristretto holds (by key, module and
// tag), updated from ristretto's eviction, rejection and exit callbacks, so
// invalidation by module or tag is exact and Stats counts the bytes actually
// held. Hits, misses and coalesced calls are counted with atomic counters on
// every call; ristretto's own (sampled) metrics are off.
//
// # Single flight and invalidation
//
// Do runs at most one computation per key at a time: concurrent calls with
// the same key wait for the first one's result. Invalidation removes the
// matching entries and detaches the matching computations in flight, whose
// results are then not stored, so nothing computed before an invalidation is
// served after it.
//
// Lock order: Cache.setMu, then Cache.mu. ristretto is never called with mu
// held, because it calls back into Cache, which takes mu.
package cache
