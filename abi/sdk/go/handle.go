package nexus

// Handle names a child task that Spawn started: its number among the
// spawns of the run (0, 1, 2 …). It is an int32, so a []Handle is the
// array task_await_any reads.
type Handle int32
