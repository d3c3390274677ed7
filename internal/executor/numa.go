package executor

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// maxCPU bounds the CPU numbers ParseCPUList accepts (the kernel's
// CONFIG_NR_CPUS tops out at 8192).
const maxCPU = 1 << 13

// Topology is the machine's NUMA layout: which CPUs belong to which node.
type Topology struct {
	// Nodes are sorted by ID. A machine without NUMA information has none.
	Nodes []Node
}

// Node is one NUMA node.
type Node struct {
	ID   int
	CPUs []int // sorted; empty for a memory-only node
}

// ReadTopology reads the NUMA topology under sysfsRoot ("" means /sys)
// from devices/system/node/node*/cpulist. A missing node directory is not
// an error: it yields an empty Topology, which puts every CPU on node 0.
func ReadTopology(sysfsRoot string) (Topology, error) {
	if sysfsRoot == "" {
		sysfsRoot = "/sys"
	}
	dir := filepath.Join(sysfsRoot, "devices", "system", "node")
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return Topology{}, nil
	}
	if err != nil {
		return Topology{}, fmt.Errorf("executor: numa topology: %w", err)
	}
	var t Topology
	for _, ent := range entries {
		id, ok := strings.CutPrefix(ent.Name(), "node")
		n, err := strconv.Atoi(id)
		if !ok || err != nil || n < 0 {
			continue // has_cpu, online, possible, power, uevent …
		}
		b, err := os.ReadFile(filepath.Join(dir, ent.Name(), "cpulist"))
		if err != nil {
			return Topology{}, fmt.Errorf("executor: numa topology: %w", err)
		}
		cpus, err := ParseCPUList(string(b))
		if err != nil {
			return Topology{}, fmt.Errorf("executor: numa topology: node %d: %w", n, err)
		}
		t.Nodes = append(t.Nodes, Node{ID: n, CPUs: cpus})
	}
	slices.SortFunc(t.Nodes, func(a, b Node) int { return a.ID - b.ID })
	return t, nil
}

// NodeOf returns the node of cpu: 0 if the topology is empty, -1 if cpu
// is on no node of a non-empty topology.
func (t Topology) NodeOf(cpu int) int {
	if len(t.Nodes) == 0 {
		return 0
	}
	for _, n := range t.Nodes {
		if _, ok := slices.BinarySearch(n.CPUs, cpu); ok {
			return n.ID
		}
	}
	return -1
}

// ParseCPUList parses a Linux CPU list such as "0-3,8,10-11" (the format
// of sysfs cpulist files, taskset -c and --cpus). It returns the CPUs
// sorted without duplicates; blank input yields none.
func ParseCPUList(s string) ([]int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var cpus []int
	for part := range strings.SplitSeq(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		a, err := parseCPU(lo)
		if err != nil {
			return nil, err
		}
		b := a
		if isRange {
			if b, err = parseCPU(hi); err != nil {
				return nil, err
			}
			if b < a {
				return nil, fmt.Errorf("executor: cpu list: range %q runs backwards", part)
			}
		}
		for c := a; c <= b; c++ {
			cpus = append(cpus, c)
		}
	}
	slices.Sort(cpus)
	return slices.Compact(cpus), nil
}

func parseCPU(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n >= maxCPU || s != strconv.Itoa(n) {
		return 0, fmt.Errorf("executor: cpu list: bad cpu %q", s)
	}
	return n, nil
}
