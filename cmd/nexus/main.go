// Command nexus is the NexusTask server and its command-line client.
//
//	nexus serve                          run the server
//	nexus module push NAME FILE          upload a module
//	nexus module ls | get NAME | rm NAME list, show, delete modules
//	nexus invoke NAME --input FILE|-     run a task and print its output
//	nexus task submit|get|wait|cancel|retry|ls   durable tasks
//	nexus schedule add|ls|get|pause|resume|rm  cron and interval schedules
//
// It is the only package that reads flags and the environment.
package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	if err := newRootCmd().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "nexus:", err)
		os.Exit(exitCode(err))
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "nexus",
		Short:         "NexusTask: run WebAssembly tasks in a metered sandbox",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCmd(), newModuleCmd(), newInvokeCmd(), newConformanceCmd(), newScheduleCmd())
	root.AddCommand(newTaskCmd())
	root.AddCommand(newStoreCmd())
	return root
}

// envOr returns the environment variable key, or def if it is unset.
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}
