//go:build wasip1

// Command wasiprobe reports what a wasi-command task can see of its
// sandbox, for the host's grant tests. Its input selects the probe:
//
//	info       JSON with args, environment, wall-clock seconds, 8 random
//	           bytes, and whether / lists anything
//	scratch N  writes N bytes to /scratch/data and prints "ok" or the error
//
// Build: GOOS=wasip1 GOARCH=wasm go build -trimpath -o ../wasiprobe.wasm .
package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

func main() {
	in, _ := io.ReadAll(os.Stdin)
	cmd := strings.Fields(string(in))
	if len(cmd) == 0 {
		cmd = []string{"info"}
	}
	switch cmd[0] {
	case "info":
		b := make([]byte, 8)
		rand.Read(b)
		_, rootErr := os.ReadDir("/")
		json.NewEncoder(os.Stdout).Encode(map[string]any{
			"args":   os.Args,
			"env":    os.Environ(),
			"unix":   time.Now().Unix(),
			"random": hex.EncodeToString(b),
			"root":   rootErr == nil,
		})
	case "scratch":
		n, _ := strconv.Atoi(cmd[1])
		err := os.WriteFile("/scratch/data", make([]byte, n), 0o644)
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println("ok")
	}
}
