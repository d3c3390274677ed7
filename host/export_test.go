package host

// NexusImports returns the names of the nexus_v1 imports this host
// provides, for tests of package host_test.
func NexusImports() []string {
	names := make([]string, 0, len(nexusFuncs))
	for _, f := range nexusFuncs {
		names = append(names, f.name)
	}
	return names
}

// SetMemoryPressure makes r ask short, instead of the system, whether
// memory is short, at every task.
func SetMemoryPressure(r *Runtime, short func() bool) { r.pressure.sample = short }
