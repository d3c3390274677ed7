// Package snapshot holds the parts of the host's fast instance starts that
// know nothing of tasks, runtimes or wazero instances:
//
//   - module.go rewrites an instrumented module into the probe (every
//     mutable global exported under GlobalPrefix, to read them after
//     _initialize) and the restore module (the probe without data
//     segments, whose memory a snapshot fills), and cuts a captured memory
//     into the ranges worth copying (DataSegments);
//   - image_linux.go maps a captured memory copy-on-write (Image) and
//     fresh linear memory zero-filled on first touch (MapAnon), with pools
//     of released regions; elsewhere memory is copied (image_other.go);
//   - clock.go gives the deterministic clocks and random source a task
//     sees without grants, able to continue from a snapshot's readings.
//
// Taking a snapshot and starting a task from one need the host's tasks,
// meters and memory quotas; they stay in package host (snapshot.go,
// snapshot_memory.go). Everything here is safe for concurrent use unless
// its doc says otherwise.
package snapshot
