//go:build wasip1

package nexus

// FuelRemaining returns the fuel left in the task's budget (never
// negative). Fuel is about one unit per WebAssembly instruction and its use
// is deterministic: the same point of the same run always sees the same
// value.
func FuelRemaining() int64 { return fuelRemaining() }
