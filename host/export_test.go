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
