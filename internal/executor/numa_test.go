package executor

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"testing"
)

func TestParseCPUList(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		ok   bool
	}{
		{"", nil, true},
		{"\n", nil, true},
		{"0", []int{0}, true},
		{"0-3\n", []int{0, 1, 2, 3}, true},
		{"0-1,8-9", []int{0, 1, 8, 9}, true},
		{"5,1,3-4,1", []int{1, 3, 4, 5}, true},
		{"3-1", nil, false},
		{"a", nil, false},
		{"-1", nil, false},
		{"1-", nil, false},
		{"1,,2", nil, false},
		{"+1", nil, false},
		{"01", nil, false},
		{"99999", nil, false},
	} {
		got, err := ParseCPUList(tc.in)
		if (err == nil) != tc.ok || !slices.Equal(got, tc.want) {
			t.Errorf("ParseCPUList(%q) = %v, %v; want %v (ok=%v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func FuzzParseCPUList(f *testing.F) {
	for _, s := range []string{"0-3,8-11", "0", "", "4,6", "1-0", "8191"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cpus, err := ParseCPUList(s)
		if err != nil {
			return
		}
		if !slices.IsSorted(cpus) || len(slices.Compact(slices.Clone(cpus))) != len(cpus) {
			t.Fatalf("%q: %v not sorted and unique", s, cpus)
		}
		if len(cpus) > 0 && (cpus[0] < 0 || cpus[len(cpus)-1] >= maxCPU) {
			t.Fatalf("%q: %v out of range", s, cpus)
		}
	})
}

func TestReadTopology(t *testing.T) {
	for _, tc := range []struct {
		root string
		want string
		node map[int]int // cpu → node
	}{
		{"testdata/sysfs-2node", "[{0 [0 1 2 3 8 9 10 11]} {1 [4 5 6 7 12 13 14 15]}]", map[int]int{0: 0, 4: 1, 11: 0, 12: 1, 16: -1}},
		{"testdata/sysfs-4node", "[{0 [0 1]} {1 [2 3]} {2 [4 6]} {3 [5 7]} {4 []}]", map[int]int{1: 0, 2: 1, 6: 2, 7: 3, 8: -1}},
		{"testdata/sysfs-1node", "[{0 [0 1]}]", map[int]int{0: 0, 1: 0}},
		{"testdata/no-such-dir", "[]", map[int]int{0: 0, 63: 0}},
	} {
		t.Run(tc.root, func(t *testing.T) {
			topo, err := ReadTopology(tc.root)
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(topo.Nodes); got != tc.want {
				t.Fatalf("nodes %s, want %s", got, tc.want)
			}
			for cpu, want := range tc.node {
				if got := topo.NodeOf(cpu); got != want {
					t.Errorf("NodeOf(%d) = %d, want %d", cpu, got, want)
				}
			}
		})
	}
}

// TestNUMAPreference runs on a fixture that puts this machine's CPUs 0
// and 1 on nodes 0 and 1: a job preferring a node gets a token there.
func TestNUMAPreference(t *testing.T) {
	cpus, _ := allowedCPUs()
	if !slices.Contains(cpus, 0) || !slices.Contains(cpus, 1) {
		t.Skipf("need CPUs 0 and 1, have %v", cpus)
	}
	for _, tc := range []struct {
		root  string
		nodes []int // token nodes
	}{
		{"testdata/sysfs-split", []int{0, 1}},
		{"testdata/sysfs-1node", []int{0, 0}},
	} {
		t.Run(tc.root, func(t *testing.T) {
			e := newExec(t, Config{Workers: 2, CPUs: []int{0, 1}, SysfsRoot: tc.root, PinAtStart: true})
			var nodes []int
			for _, tok := range e.tokens {
				nodes = append(nodes, tok.node)
			}
			if !slices.Equal(nodes, tc.nodes) {
				t.Fatalf("token nodes %v, want %v", nodes, tc.nodes)
			}
			for _, want := range []int{1, 0, 1} {
				var mask []int
				err := e.Do(context.Background(), Job{NUMANode: want, Run: func(context.Context, Yielder) error {
					mask, _ = threadCPUs()
					return nil
				}})
				if err != nil {
					t.Fatal(err)
				}
				if tc.nodes[1] == 0 {
					// Single node: any token, the caller's CPU's if free.
					if pinning && (len(mask) != 1 || !slices.Contains([]int{0, 1}, mask[0])) {
						t.Fatalf("job ran with affinity %v, want one of CPUs 0 and 1", mask)
					}
					continue
				}
				if pinning && !slices.Equal(mask, []int{want}) {
					t.Fatalf("job preferring node %d ran with affinity %v, want [%d]", want, mask, want)
				}
			}
		})
	}
}

// TestDoPrefersCallerCPU: a Do caller finding both tokens free gets the
// one of the CPU its thread runs on, so pinning does not move it.
func TestDoPrefersCallerCPU(t *testing.T) {
	cpus, _ := allowedCPUs()
	if !pinning || !slices.Contains(cpus, 0) || !slices.Contains(cpus, 1) {
		t.Skipf("need thread pinning and CPUs 0 and 1, have %v", cpus)
	}
	e := newExec(t, Config{Workers: 2, CPUs: []int{0, 1}, PinAtStart: true})
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	saved := saveAffinity()
	defer saved.restore()
	for _, cpu := range []int{1, 0, 1} {
		if err := pinThread(cpu); err != nil {
			t.Fatal(err)
		}
		var mask []int
		if err := e.Do(context.Background(), Job{Run: func(context.Context, Yielder) error {
			mask, _ = threadCPUs()
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(mask, []int{cpu}) {
			t.Fatalf("caller on CPU %d: job ran with affinity %v", cpu, mask)
		}
	}
}
