package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/nexustask/nexus/conformance"
	"github.com/spf13/cobra"
)

func newConformanceCmd() *cobra.Command {
	var (
		server    string
		langs     []string
		module    string
		inProcess bool
		out       string
	)
	cmd := &cobra.Command{
		Use:   "conformance",
		Short: "Run the ABI conformance suite and print a case × language matrix",
		Long: `Run the ABI conformance suite against a server (--server) or an in-process
host (--in-process), in every language whose conformance guest is built in, or
in the languages named by --lang. --module runs the suite with your own guest
(a nexus-v1 module implementing conformance/SCRIPT.md) instead, so a new SDK
can prove itself. The last line is "N passed, M failed"; the exit status is 1
if any case failed. On a server, the suite's conf-* modules are deleted when
it finishes, whether the cases passed or not.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) (err error) {
			ctx := cmd.Context()
			guests, err := conformance.Guests()
			if err != nil {
				return err
			}
			if module != "" {
				wasm, err := os.ReadFile(module)
				if err != nil {
					return err
				}
				name := strings.TrimSuffix(filepath.Base(module), filepath.Ext(module))
				guests = []conformance.Guest{{Lang: name, Wasm: wasm}}
			} else if guests, err = conformance.SelectGuests(guests, langs); err != nil {
				return err
			}
			target, err := newConformanceTarget(ctx, server, inProcess)
			if err != nil {
				return err
			}
			// Close deletes the modules the suite uploaded to a server,
			// whether the cases passed or not.
			defer func() {
				if cerr := target.Close(); cerr != nil {
					err = errors.Join(err, cerr)
				}
			}()
			cases, err := conformance.LoadCases()
			if err != nil {
				return err
			}
			results := conformance.RunMatrix(ctx, target, guests, cases)
			w := cmd.OutOrStdout()
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			fmt.Fprintf(w, "Conformance against %s\n\n", target.Name())
			conformance.WriteMatrix(w, results)
			if _, failed := conformance.Summary(results); failed > 0 {
				return fmt.Errorf("%d conformance results failed", failed)
			}
			return nil
		},
	}
	addServerFlag(cmd, &server)
	f := cmd.Flags()
	f.StringSliceVar(&langs, "lang", nil, "languages to run (default: every built-in guest)")
	f.StringVar(&module, "module", "", "run your own conformance guest (.wasm) instead of the built-in ones")
	f.BoolVar(&inProcess, "in-process", false, "run on a host in this process instead of a server")
	f.StringVarP(&out, "output", "o", "", "write the matrix to this file instead of stdout")
	return cmd
}

func newConformanceTarget(ctx context.Context, server string, inProcess bool) (conformance.Target, error) {
	if inProcess {
		return conformance.NewInProcess(ctx)
	}
	c, err := newClient(server)
	if err != nil {
		return nil, err
	}
	return conformance.NewServer(c.Client), nil
}
