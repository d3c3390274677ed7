package host

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"sync/atomic"
	"time"
)

// pressureInterval is how often the system's memory is sampled, at most.
const pressureInterval = time.Second

// pressureShare is the share of memory below which the system counts as
// short of it: less than a tenth of the machine's (or the cgroup's)
// memory available.
const pressureShare = 10

// pressureGauge tells whether the system is short of memory, sampling it
// at most once per pressureInterval, so that the reset path, which asks
// after every task, costs a clock reading.
type pressureGauge struct {
	next atomic.Int64 // when to sample again, in Unix nanoseconds
	low  atomic.Bool
	// sample, if set, replaces shortOfMemory and is asked every time
	// (tests).
	sample func() bool
}

// underPressure reports whether the system was short of memory when last
// sampled.
func (r *Runtime) underPressure() bool {
	g := &r.pressure
	if g.sample != nil {
		return g.sample()
	}
	now := time.Now().UnixNano()
	if next := g.next.Load(); now >= next && g.next.CompareAndSwap(next, now+int64(pressureInterval)) {
		g.low.Store(shortOfMemory())
	}
	return g.low.Load()
}

// shortOfMemory reports whether less than 1/pressureShare of the memory
// is available: of the machine's (MemAvailable of /proc/meminfo) or of
// the process's cgroup (memory.max less memory.current, cgroup v2).
// Where neither can be read it reports false.
func shortOfMemory() bool {
	if total, avail, ok := meminfo(); ok && avail*pressureShare < total {
		return true
	}
	max, err1 := readCgroupBytes("/sys/fs/cgroup/memory.max")
	cur, err2 := readCgroupBytes("/sys/fs/cgroup/memory.current")
	return err1 == nil && err2 == nil && max > 0 && (max-min(cur, max))*pressureShare < max
}

// meminfo returns MemTotal and MemAvailable of /proc/meminfo, in kB.
func meminfo() (total, avail int64, ok bool) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, 0, false
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	seen := 0
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) < 2 {
			continue
		}
		v, err := strconv.ParseInt(string(f[1]), 10, 64)
		if err != nil {
			continue
		}
		switch string(f[0]) {
		case "MemTotal:":
			total, seen = v, seen+1
		case "MemAvailable:":
			avail, seen = v, seen+1
		}
	}
	return total, avail, seen == 2 && total > 0
}

// readCgroupBytes reads a cgroup v2 memory file; "max" reads as 0 (no
// limit).
func readCgroupBytes(path string) (int64, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	s := string(bytes.TrimSpace(b))
	if s == "max" {
		return 0, nil
	}
	return strconv.ParseInt(s, 10, 64)
}
