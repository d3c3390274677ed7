package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/spf13/cobra"
)

// addServerFlag adds --server (env NEXUS_SERVER) to cmd.
func addServerFlag(cmd *cobra.Command, server *string) {
	cmd.PersistentFlags().StringVar(server, "server", envOr("NEXUS_SERVER", "http://127.0.0.1:8080"),
		"server URL (env NEXUS_SERVER)")
}

func newModuleCmd() *cobra.Command {
	var server string
	var asJSON bool
	cmd := &cobra.Command{Use: "module", Short: "Upload, list, show and delete modules"}
	addServerFlag(cmd, &server)
	addJSONFlag(cmd.PersistentFlags(), &asJSON)

	var isolation string
	push := &cobra.Command{
		Use:   "push NAME FILE",
		Short: "Upload a Wasm module (FILE or - for stdin) as the next version of NAME",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			wasm, err := readInput(args[1], cmd.InOrStdin())
			if err != nil {
				return err
			}
			v, err := c.PushModule(cmd.Context(), args[0], wasm, &client.PushOptions{Isolation: isolation})
			if err != nil {
				return err
			}
			if asJSON {
				return printRaw(cmd.OutOrStdout(), v.Raw)
			}
			what := "stored"
			if !v.Created {
				what = "unchanged"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s version %d (%s, %s, %d bytes)\n", what, v.Name, v.Version, v.Profile, v.Digest, v.Size)
			return nil
		},
	}

	push.Flags().StringVar(&isolation, "isolation", "", "fresh (default: a fresh instance per task) or warm (instances reused across tasks)")

	ls := &cobra.Command{
		Use:   "ls",
		Short: "List modules with their latest version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			list, err := c.ListModules(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return printRaw(cmd.OutOrStdout(), list.Raw)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tVERSION\tPROFILE\tSIZE\tDIGEST\tCREATED")
			for _, m := range list.Modules {
				fmt.Fprintf(w, "%s\t%d\t%s\t%d\t%s\t%s\n", m.Name, m.Latest.Version, m.Latest.Profile,
					m.Latest.Size, shortDigest(m.Latest.Digest), m.Latest.CreatedAt.Local().Format(time.DateTime))
			}
			return w.Flush()
		},
	}

	get := &cobra.Command{
		Use:   "get NAME",
		Short: "Show every version of a module",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			m, err := c.GetModule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if asJSON {
				return printRaw(cmd.OutOrStdout(), m.Raw)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "VERSION\tPROFILE\tSIZE\tDIGEST\tCREATED")
			for _, v := range m.Versions {
				fmt.Fprintf(w, "%d\t%s\t%d\t%s\t%s\n", v.Version, v.Profile, v.Size, v.Digest, v.CreatedAt.Local().Format(time.DateTime))
			}
			return w.Flush()
		},
	}

	rm := &cobra.Command{
		Use:   "rm NAME",
		Short: "Delete a module and all its versions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(server)
			if err != nil {
				return err
			}
			if err := c.DeleteModule(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(push, ls, get, rm)
	return withLogs(cmd)
}

func shortDigest(d string) string {
	if len(d) > len("sha256:")+12 {
		return d[:len("sha256:")+12]
	}
	return d
}
