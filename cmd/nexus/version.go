package main

import (
	"fmt"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
)

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of nexus: module version, VCS revision and time, Go version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), versionString())
			return err
		},
	}
}

// versionString describes the running binary from its build information:
// "nexus v1.2.3 (revision 0123abcd…, 2026-01-02T15:04:05Z, modified) go1.26.0".
// The module version is "(devel)" for a build from a work tree; the
// revision and time are there when the build recorded them.
func versionString() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "nexus (devel)"
	}
	v := bi.Main.Version
	if v == "" {
		v = "(devel)"
	}
	var vcs []string
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			vcs = append([]string{"revision " + s.Value}, vcs...)
		case "vcs.time":
			vcs = append(vcs, s.Value)
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && len(vcs) > 0 {
		vcs = append(vcs, "modified")
	}
	s := "nexus " + v
	if len(vcs) > 0 {
		s += " (" + strings.Join(vcs, ", ") + ")"
	}
	return s + " " + bi.GoVersion
}
