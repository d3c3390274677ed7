// Command nexus is the NexusTask server and its command-line client.
//
//	nexus serve                          run the server
//	nexus module push NAME FILE          upload a module
//	nexus module ls | get NAME | rm NAME list, show, delete modules
//	nexus invoke NAME --input FILE|-     run a task and print its output
//	nexus task submit|get|wait|cancel|retry|ls   durable tasks
//	nexus schedule add|ls|get|pause|resume|rm  cron and interval schedules
//	nexus version                        print the version (also nexus --version)
//
// It is the only package that reads flags and the environment.
package main

import (
	"errors"
	"fmt"
	"github.com/nexustask/nexus/client"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

func main() {
	cmd, err := newRootCmd().ExecuteC()
	if err != nil {
		var pe printedError
		if errors.As(err, &pe) {
			os.Exit(exitCode(err))
		}
		fmt.Fprintln(os.Stderr, "nexus:", err)
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprint(os.Stderr, "\n"+cmd.UsageString())
		}
		os.Exit(exitCode(err))
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "nexus",
		Short:         "NexusTask: run WebAssembly tasks in a metered sandbox",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       versionString(),

		PersistentPreRunE: useOutput,
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(newServeCmd(), newModuleCmd(), newInvokeCmd(), newConformanceCmd(), newScheduleCmd())
	root.AddCommand(newTaskCmd())
	root.AddCommand(newStoreCmd())
	root.AddCommand(newVersionCmd())
	root.AddCommand(newBundleCmd())
	root.AddCommand(newConfigCmd())
	root.AddCommand(newEventsCmd(), newWebhookCmd())
	root.AddCommand(newMetricsCmd())
	root.AddCommand(newWorkflowCmd(),
		newShapeCmd("batch", "Submit batches: independent tasks and a callback", (*client.Client).SubmitBatch),
		newShapeCmd("chain", "Submit chains: tasks that each take the previous one's output", (*client.Client).SubmitChain))
	root.AddCommand(newHealthcheckCmd())
	root.AddCommand(newTopCmd())
	return withAliases(root)
}

// envOr returns the environment variable key, or def if it is unset.
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// usageError is a command line the command cannot run: main prints the
// command's usage after it.
type usageError struct{ error }

// argNames is a cobra.PositionalArgs that wants exactly one argument per
// name in names, and names the missing or surplus ones in its error.
func argNames(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case len(args) < len(names):
			return usageError{fmt.Errorf("%s: missing argument %s", cmd.Name(), strings.Join(names[len(args):], " "))}
		case len(args) > len(names):
			return usageError{fmt.Errorf("%s: unexpected argument %q (wants %s)", cmd.Name(), args[len(names)], strings.Join(names, " "))}
		}
		return nil
	}
}
