package main_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The README's shell blocks are executable documentation. TestREADME runs
// every ```sh block of README.md in order, as a reader pasting them into a
// shell at the repository's root would (CONTRIBUTING.md, "README
// commands"):
//
//   - Only blocks fenced ```sh run; ```console, ```text and the rest are
//     shown, not run.
//   - A command is a line, with its "\" continuations. The commands of a
//     block run in one bash script (set -e, pipefail), so a variable set
//     in a block is seen by the rest of the block, not by later blocks.
//   - A serve command (./nexus serve, nexus serve, go run ./cmd/nexus
//     serve) starts the server, from the binary under test, on a free
//     port of 127.0.0.1 with ./nexus-data as its data directory, and keeps
//     it running for the blocks after it; its other flags are passed on.
//     A later serve command restarts it with its own flags.
//   - localhost:8080 and 127.0.0.1:8080 in a command become the server's
//     address, and NEXUS_SERVER is set to it for the CLI.
//   - A command ending in "# prints: TEXT" must print exactly TEXT on
//     stdout (before its trailing newlines).
//
// The commands run in a fresh directory holding links to the
// repository's files, so nothing they write lands in the checkout.

// readmeBlock is a ```sh block of the README.
type readmeBlock struct {
	line int // the line of its opening fence, counting from 1
	cmds []readmeCmd
}

// readmeCmd is one command of a block.
type readmeCmd struct {
	line   int    // its first line in the README
	text   string // the command, continuations joined
	prints *string
}

// serveRE matches a command that starts the server.
var serveRE = regexp.MustCompile(`^(\./nexus|nexus|go run \./cmd/nexus)\s+serve(\s|$)`)

// printsRE matches a trailing "# prints: TEXT" comment.
var printsRE = regexp.MustCompile(`\s+#\s*prints:\s?(.*)$`)

// parseREADME returns the ```sh blocks of a Markdown document.
func parseREADME(doc string) ([]readmeBlock, error) {
	var blocks []readmeBlock
	var cur *readmeBlock
	var pending strings.Builder
	pendingLine := 0
	sc := bufio.NewScanner(strings.NewReader(doc))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			if strings.TrimSpace(strings.TrimPrefix(line, "```")) == "sh" {
				cur = &readmeBlock{line: n}
			} else {
				// Skip a block that is not run, to its closing fence.
				for n++; sc.Scan() && !strings.HasPrefix(sc.Text(), "```"); n++ {
				}
			}
			continue
		case cur == nil:
			continue
		case strings.HasPrefix(line, "```"):
			if pending.Len() > 0 {
				return nil, fmt.Errorf("README.md:%d: the block ends inside a continued command", n)
			}
			blocks = append(blocks, *cur)
			cur = nil
			continue
		}
		if pending.Len() == 0 {
			pendingLine = n
		}
		if cont, ok := strings.CutSuffix(line, `\`); ok {
			pending.WriteString(cont)
			continue
		}
		pending.WriteString(line)
		text := strings.TrimSpace(pending.String())
		pending.Reset()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		c := readmeCmd{line: pendingLine, text: text}
		if m := printsRE.FindStringSubmatchIndex(text); m != nil {
			want := text[m[2]:m[3]]
			c.prints, c.text = &want, strings.TrimSpace(text[:m[0]])
		}
		cur.cmds = append(cur.cmds, c)
	}
	if cur != nil {
		return nil, fmt.Errorf("README.md:%d: the block is not closed", cur.line)
	}
	return blocks, sc.Err()
}

// readmeScriptHead starts every block's script: stop at the first failing
// command and say which one it was (README_FAILED <script line>), and
// check what a "# prints:" command printed.
const readmeScriptHead = `set -eo pipefail
trap 'echo "README_FAILED $LINENO" >&2' ERR
__readme_prints() {
	local want="README_PRINTS_$1"
	printf '%s\n' "$2"
	if [ "$2" != "${!want}" ]; then
		printf 'README: it printed %q where the README says it prints %q\n' "$2" "${!want}" >&2
		return 1
	fi
}
`

// readmeRun is the state of one run of the README's commands.
type readmeRun struct {
	t    *testing.T
	dir  string  // where the commands run
	d    *daemon // the server, once a serve command started it
	addr string  // its host:port
	name string  // the document, as messages name it; "" is README.md
}

// doc returns the name of the document being run.
func (r *readmeRun) doc() string {
	if r.name == "" {
		return "README.md"
	}
	return r.name
}

// TestREADME runs README.md's ```sh blocks in order against a live server
// started from the binary under test.
func TestREADME(t *testing.T) {
	doc, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseREADME(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) == 0 {
		t.Fatal("README.md has no ```sh block")
	}
	for _, tool := range []string{"bash", "curl", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README's commands need %s: %v", tool, err)
		}
	}
	r := &readmeRun{t: t, dir: readmeDir(t)}
	for _, b := range blocks {
		if err := r.runBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	if r.d != nil {
		r.d.stop(t, os.Interrupt)
	}
}

// TestGettingStarted runs docs/getting-started.md's ```sh blocks as
// TestREADME runs the README's.
func TestGettingStarted(t *testing.T) {
	doc, err := os.ReadFile("../../docs/getting-started.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseREADME(string(doc))
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) < 5 {
		t.Fatalf("docs/getting-started.md has %d ```sh blocks", len(blocks))
	}
	r := &readmeRun{t: t, dir: readmeDir(t), name: "docs/getting-started.md"}
	for _, b := range blocks {
		if err := r.runBlock(b); err != nil {
			t.Fatal(err)
		}
	}
	if r.d == nil {
		t.Fatal("docs/getting-started.md starts no server")
	}
	r.d.stop(t, os.Interrupt)
}

// TestREADMEHarness: the README test fails on a failing command and on a
// command that prints other than its "# prints:", naming the command and
// its line; a variable lives for its block; continuations join.
func TestREADMEHarness(t *testing.T) {
	doc := "# Title\n\n```go\nnot run\n```\n\n```sh\n" +
		"x=hello   # a variable for the block\n" +
		"echo \"$x\" \\\n  world        # prints: hello world\n" +
		"```\n\n```console\nfalse\n```\n\n```sh\n" +
		"echo ok\n" +
		"echo \"$x\"    # prints: \n" +
		"echo one     # prints: two\n" +
		"echo never\n" +
		"```\n\n```sh\nfalse\n```\n"
	blocks, err := parseREADME(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(blocks) != 3 || len(blocks[0].cmds) != 2 || blocks[0].cmds[1].text != `echo "$x"   world` ||
		blocks[0].cmds[1].line != 9 || *blocks[0].cmds[1].prints != "hello world" {
		t.Fatalf("parsed %+v", blocks)
	}
	r := &readmeRun{t: t, dir: t.TempDir()}
	if err := r.runBlock(blocks[0]); err != nil {
		t.Fatalf("a block that works: %v", err)
	}
	err = r.runBlock(blocks[1])
	if err == nil || !strings.Contains(err.Error(), "README.md:17: the ```sh block starting here failed") ||
		!strings.Contains(err.Error(), "Failed command: README.md:20: echo one") ||
		!strings.Contains(err.Error(), `it printed one where the README says it prints two`) {
		t.Fatalf("a block whose command prints other than it says: %v", err)
	}
	// It stopped there: the next command did not run.
	if _, output, _ := strings.Cut(err.Error(), "Output:"); strings.Contains(output, "never") {
		t.Fatalf("the block went on after a failed command: %v", err)
	}
	if err := r.runBlock(blocks[2]); err == nil || !strings.Contains(err.Error(), "Failed command: README.md:25: false") {
		t.Fatalf("a failing command: %v", err)
	}
	if _, err := parseREADME("```sh\necho \\\n```\n"); err == nil {
		t.Fatal("a block ending in a continuation parsed")
	}
}

// readmeDir returns a new directory holding a link to each of the
// repository's top-level files and folders, standing for a fresh clone.
func readmeDir(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, e := range entries {
		switch e.Name() {
		case ".git", "nexus", "nexus-data", "nexus-backup.db":
			continue
		}
		if err := os.Symlink(filepath.Join(root, e.Name()), filepath.Join(dir, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// runBlock runs b's commands: a serve command (re)starts the server, the
// commands between serve commands run as one script.
func (r *readmeRun) runBlock(b readmeBlock) error {
	var batch []readmeCmd
	for _, c := range b.cmds {
		if serveRE.MatchString(c.text) {
			if err := r.runScript(b, batch); err != nil {
				return err
			}
			batch = nil
			r.serve(c)
			continue
		}
		batch = append(batch, c)
	}
	return r.runScript(b, batch)
}

// serve starts the server for the serve command c, stopping the one
// running, if any.
func (r *readmeRun) serve(c readmeCmd) {
	t := r.t
	t.Helper()
	if r.d != nil {
		r.d.stop(t, os.Interrupt)
	}
	fields := strings.Fields(serveRE.ReplaceAllString(c.text, ""))
	var flags []string
	for i := 0; i < len(fields); i++ {
		f := fields[i]
		if strings.HasPrefix(f, "#") {
			break
		}
		// The address and the data directory are the test's.
		if name, _, _ := strings.Cut(f, "="); name == "--addr" || name == "--data-dir" {
			if !strings.Contains(f, "=") {
				i++
			}
			continue
		}
		flags = append(flags, f)
	}
	r.d = startDaemon(t, filepath.Join(r.dir, "nexus-data"), flags...)
	u, err := url.Parse(r.d.url)
	if err != nil {
		t.Fatal(err)
	}
	r.addr = u.Host
	t.Logf("%s:%d: %s: server on %s", r.doc(), c.line, c.text, r.addr)
}

// runScript runs cmds, commands of block b, as one bash script; if one
// fails, the error names the block and the command and has the output.
func (r *readmeRun) runScript(b readmeBlock, cmds []readmeCmd) error {
	t := r.t
	t.Helper()
	if len(cmds) == 0 {
		return nil
	}
	var script strings.Builder
	script.WriteString(readmeScriptHead)
	head := strings.Count(readmeScriptHead, "\n")
	env := os.Environ()
	for i, c := range cmds {
		text := c.text
		if r.addr != "" {
			text = strings.NewReplacer("localhost:8080", r.addr, "127.0.0.1:8080", r.addr).Replace(text)
		}
		if c.prints != nil {
			env = append(env, "README_PRINTS_"+strconv.Itoa(i)+"="+*c.prints)
			text = fmt.Sprintf("__readme_out=$(%s); __readme_prints %d \"$__readme_out\"", text, i)
		}
		script.WriteString(text + "\n")
	}
	if r.d != nil {
		env = append(env, "NEXUS_SERVER="+r.d.url)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-c", script.String())
	cmd.Dir, cmd.Env = r.dir, env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	t.Logf("%s:%d: %d commands: %v", r.doc(), cmds[0].line, len(cmds), err)
	if err == nil {
		return nil
	}
	failed := "(which one is not known)"
	if m := regexp.MustCompile(`README_FAILED (\d+)`).FindStringSubmatch(out.String()); m != nil {
		if n, _ := strconv.Atoi(m[1]); n > head && n-head-1 < len(cmds) {
			c := cmds[n-head-1]
			failed = fmt.Sprintf("%s:%d: %s", r.doc(), c.line, c.text)
		}
	}
	var block strings.Builder
	for _, c := range b.cmds {
		fmt.Fprintf(&block, "  %d: %s\n", c.line, c.text)
	}
	server := "no server was started before it"
	if r.d != nil {
		server = "server log:\n" + tail(r.d.log(), 20)
	}
	return fmt.Errorf("%s:%d: the ```sh block starting here failed (%v).\nFailed command: %s\nThe block:\n%sOutput:\n%s\n%s\n\n"+
		"Each ```sh block of "+r.doc()+" runs in order in a fresh copy of the repository, against a server started by the "+
		"README's serve command; see CONTRIBUTING.md, \"README commands\".",
		r.doc(), b.line, err, failed, block.String(), tail(out.String(), 40), server)
}

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
