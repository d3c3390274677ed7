// Package modules is the module registry of NexusTask: it validates
// uploaded Wasm, addresses it by sha256, numbers versions per name, keeps
// the bytes in a Store and the compiled code in memory, and resolves a
// name (and optional version) to something the host can run.
//
// Uploading bytes that a name already holds returns the existing version;
// each new digest under a name becomes the next version (1, 2, 3…). A
// name's numbers start again at 1 after it is deleted: a version number
// names bytes only together with the digest answered with it (the result
// cache keys on the digest).
//
// # Consistency
//
// Each change (an upload, a delete) is one Store transaction, taken under
// a lock of its name; the in-memory index is then set from what the
// transaction committed, before the lock is released, so it is never
// ahead of the store and a restart shows what was answered. Validation
// and compilation of an upload happen before its name is locked: a slow
// compilation delays no delete of that name, and the upload takes effect,
// and gets its number, when it commits after it. Changes of different
// names run concurrently. Events of concurrent changes of one name may
// reach OnChange listeners in another order than the changes committed.
//
// Lock order: Registry.compileMu, then a name's lock, then Registry.mu.
//
// # Damage
//
// The bytes of a module are checked against their digest whenever they are
// read from the store (Load, and the first use of an older version), and
// an artifact against the digest stored with it. A damaged artifact, or
// one stored without a digest by an older release, is made again from the
// verified bytes and stored over it. Damaged bytes, or a record of a name
// that cannot be read, make only that version or name corrupt: it is
// listed by Registry.Corrupt, shown with State "corrupt", and resolving it
// fails with ErrCorrupt; everything else loads and serves. Uploading the
// same bytes again repairs a corrupt version; an upload under a name whose
// record cannot be read replaces the record (numbering from 1), and a
// delete removes it.
package modules
