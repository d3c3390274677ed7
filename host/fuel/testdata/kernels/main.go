// Command kernels is a wasi-command guest of compute kernels used to test
// and benchmark fuel metering. Usage: kernels <kernel> <n>, where kernel is
// sha256, sort, json, map, fib or recurse. It prints one result line.
//
// Build (from host/fuel):
//
//	GOOS=wasip1 GOARCH=wasm go build -trimpath -o testdata/kernels.wasm ./testdata/kernels
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strconv"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: kernels <sha256|sort|json|map|fib|recurse> <n>")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	kernels := map[string]func(int) string{
		"sha256": sha, "sort": sortInts, "json": jsonRoundTrip,
		"map": mapInserts, "fib": func(n int) string { return strconv.Itoa(fib(n)) },
		"recurse": func(n int) string { return strconv.Itoa(recurse(n)) },
	}
	k, ok := kernels[os.Args[1]]
	if !ok {
		fmt.Fprintln(os.Stderr, "unknown kernel", os.Args[1])
		os.Exit(2)
	}
	fmt.Println(k(n))
}

// sha hashes n KiB, chaining digests.
func sha(n int) string {
	buf := make([]byte, 1024)
	var sum [32]byte
	for i := 0; i < n; i++ {
		copy(buf, sum[:])
		sum = sha256.Sum256(buf)
	}
	return hex.EncodeToString(sum[:])
}

// lcg is a deterministic pseudo-random sequence.
type lcg uint64

func (l *lcg) next() uint64 {
	*l = *l*6364136223846793005 + 1442695040888963407
	return uint64(*l >> 11)
}

// sortInts sorts n pseudo-random integers.
func sortInts(n int) string {
	r := lcg(1)
	s := make([]int, n)
	for i := range s {
		s[i] = int(r.next() % 1_000_000)
	}
	sort.Ints(s)
	return fmt.Sprint(s[0], s[n/2], s[n-1])
}

type record struct {
	ID    int               `json:"id"`
	Name  string            `json:"name"`
	Tags  []string          `json:"tags"`
	Score float64           `json:"score"`
	Attrs map[string]string `json:"attrs"`
}

// jsonRoundTrip encodes and decodes n records.
func jsonRoundTrip(n int) string {
	recs := make([]record, n)
	for i := range recs {
		recs[i] = record{ID: i, Name: "task-" + strconv.Itoa(i), Tags: []string{"a", "b", "c"},
			Score: float64(i) / 3, Attrs: map[string]string{"k": strconv.Itoa(i * 7)}}
	}
	b, err := json.Marshal(recs)
	if err != nil {
		panic(err)
	}
	var back []record
	if err := json.Unmarshal(b, &back); err != nil {
		panic(err)
	}
	return fmt.Sprint(len(b), len(back), back[n-1].Attrs["k"])
}

// mapInserts inserts n pseudo-random keys into a map and sums a lookup pass.
func mapInserts(n int) string {
	r := lcg(2)
	m := make(map[uint64]uint64)
	keys := make([]uint64, n)
	for i := range keys {
		keys[i] = r.next()
		m[keys[i]] = uint64(i)
	}
	var sum uint64
	for _, k := range keys {
		sum += m[k]
	}
	return fmt.Sprint(len(m), sum)
}

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

// recurse returns n after recursing n deep.
//
//go:noinline
func recurse(n int) int {
	if n == 0 {
		return 0
	}
	return recurse(n-1) + 1
}
