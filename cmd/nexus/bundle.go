package main

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nexustask/nexus/client"
	"github.com/nexustask/nexus/internal/bundle"
	"github.com/nexustask/nexus/internal/store"
	"github.com/spf13/cobra"
)

func newBundleCmd() *cobra.Command {
	var server string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "bundle",
		Short: "Upload, list, show and delete data bundles (files for tasks)",
		Long: `Upload, list, show and delete data bundles: named, versioned trees of files
that tasks mount as directories (nexus invoke --mount NAME:/data, nexus task
submit --mount NAME:/data:rw).`,
	}
	addServerFlag(cmd, &server)
	addJSONFlag(cmd.PersistentFlags(), &asJSON)
	cmd.AddCommand(newBundlePushCmd(&server, &asJSON), newBundleLsCmd(&server, &asJSON),
		newBundleShowCmd(&server, &asJSON), newBundleRmCmd(&server))
	return cmd
}

func newBundlePushCmd(server *string, asJSON *bool) *cobra.Command {
	return &cobra.Command{
		Use:   "push NAME DIR|FILE.tar",
		Short: "Upload a directory, or a tar archive (.tar, .tar.gz, .tgz, - for stdin), as the next version of bundle NAME",
		Long: `Upload a directory, or a tar archive (.tar, .tar.gz or .tgz; - reads one from
stdin), as the next version of bundle NAME. A directory is sent as a tar
archive of its regular files, directories and symbolic links. Uploading the
tree NAME already holds prints "unchanged" and its version.`,
		Args: argNames("NAME", "DIR|FILE.tar"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(*server)
			if err != nil {
				return err
			}
			body, gz, done, err := bundleBody(args[1], cmd.InOrStdin())
			if err != nil {
				return err
			}
			defer done()
			v, err := c.PushBundle(cmd.Context(), args[0], body, gz)
			if err != nil {
				return err
			}
			if *asJSON {
				return printRaw(cmd.OutOrStdout(), v.Raw)
			}
			what := "stored"
			if !v.Created {
				what = "unchanged"
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s %s version %d (%d files, %d bytes, %s)\n", what, v.Name, v.Version, v.Files, v.Bytes, v.Digest)
			return nil
		},
	}
}

// bundleBody returns what push sends for src: a tar archive of a
// directory, written as it is sent, or an archive file (or stdin for
// "-"), and whether it is gzip-compressed (by its name; the server also
// knows gzip by its first bytes). done releases what it opened.
func bundleBody(src string, stdin io.Reader) (io.Reader, bool, func(), error) {
	if src == "-" {
		return stdin, false, func() {}, nil
	}
	fi, err := os.Stat(src)
	if err != nil {
		return nil, false, nil, err
	}
	gz := strings.HasSuffix(src, ".gz") || strings.HasSuffix(src, ".tgz")
	if !fi.IsDir() {
		f, err := os.Open(src)
		if err != nil {
			return nil, false, nil, err
		}
		return f, gz, func() { f.Close() }, nil
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(tarDir(src, pw)) }()
	return pr, false, func() { pr.Close() }, nil
}

// tarDir writes a tar archive of dir's regular files, directories and
// symbolic links to w, paths relative to dir. Anything else (a device, a
// socket) is an error naming it.
func tarDir(dir string, w io.Writer) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		} else if !fi.Mode().IsRegular() && !fi.IsDir() {
			return fmt.Errorf("%s is not a file, directory or symbolic link", p)
		}
		h, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if fi.IsDir() {
			h.Name += "/"
		}
		h.Uname, h.Gname, h.ModTime = "", "", time.Time{}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !fi.Mode().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

func newBundleLsCmd(server *string, asJSON *bool) *cobra.Command {
	return &cobra.Command{
		Use:   "ls",
		Short: "List bundles with their latest version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := newClient(*server)
			if err != nil {
				return err
			}
			list, err := c.ListBundles(cmd.Context())
			if err != nil {
				return err
			}
			if *asJSON {
				return printRaw(cmd.OutOrStdout(), list.Raw)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tVERSION\tFILES\tBYTES\tDIGEST\tCREATED")
			for _, b := range list.Bundles {
				fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%s\t%s\n", b.Name, b.Version, b.Files, b.Bytes,
					shortDigest(b.Digest), b.CreatedAt.Local().Format(time.DateTime))
			}
			return w.Flush()
		},
	}
}

func newBundleShowCmd(server *string, asJSON *bool) *cobra.Command {
	var version int
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a bundle's versions and the files of one (--version, default the latest)",
		Args:  argNames("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(*server)
			if err != nil {
				return err
			}
			b, err := c.GetBundle(cmd.Context(), args[0], true, version)
			if err != nil {
				return err
			}
			if *asJSON {
				return printRaw(cmd.OutOrStdout(), b.Raw)
			}
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "VERSION\tFILES\tBYTES\tDIGEST\tCREATED")
			for _, v := range b.Versions {
				fmt.Fprintf(w, "%d\t%d\t%d\t%s\t%s\n", v.Version, v.Files, v.Bytes, v.Digest, v.CreatedAt.Local().Format(time.DateTime))
			}
			fmt.Fprintf(w, "\nfiles of version %d:\n", b.Version)
			for _, e := range b.Files {
				switch e.Type {
				case "dir":
					fmt.Fprintf(w, "%s/\n", e.Path)
				case "symlink":
					fmt.Fprintf(w, "%s -> %s\n", e.Path, e.Target)
				default:
					fmt.Fprintf(w, "%s\t%d\n", e.Path, e.Size)
				}
			}
			return w.Flush()
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "the version whose files to list (default: the latest)")
	return cmd
}

func newBundleRmCmd(server *string) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm NAME",
		Short: "Delete a bundle and all its versions",
		Long: `Delete a bundle and all its versions. While a task that mounts it is
scheduled, queued or running the server refuses (409 conflict) and names
the tasks; --force cancels them and deletes. Invokes already running keep
their mount until they end.`,
		Args: argNames("NAME"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := newClient(*server)
			if err != nil {
				return err
			}
			if err := c.DeleteBundle(cmd.Context(), args[0], force); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted %s\n", args[0])
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "cancel the tasks that mount the bundle, then delete it")
	return cmd
}

// mountFlagUsage is the help of --mount on invoke and task submit.
const mountFlagUsage = "mount a data bundle: NAME[@VERSION]:/guest/path[:ro|:rw] (repeatable; ro, the default, is read-only, rw a private writable copy)"

// parseMounts parses --mount values for a task's spec.
func parseMounts(vs []string) ([]client.Mount, error) {
	var out []client.Mount
	for _, v := range vs {
		m, err := client.ParseMount(v)
		if err != nil {
			return nil, fmt.Errorf("--mount: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}

// checkBundles checks the bundles of the stopped server's data directory
// dataDir (nexus store check): every stored version's files against its
// manifest. It prints each problem and fails if there is any.
func checkBundles(out io.Writer, dataDir string) error {
	db, err := store.OpenWith(dataDir, store.Options{ReadOnly: true, Timeout: storeLockWait})
	if err != nil {
		return err
	}
	defer db.Close()
	problems := bundle.CheckDir(bundle.Config{Dir: filepath.Join(dataDir, "bundles")}, db)
	for _, p := range problems {
		fmt.Fprintf(out, "damaged: %v\n", p)
	}
	if len(problems) > 0 {
		return fmt.Errorf("%d problems in the bundles of %s", len(problems), dataDir)
	}
	return nil
}
