package layout

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/nexustask/nexus"

// owners maps each dependency (an import path prefix) to the one package
// of the module allowed to import it outside tests.
var owners = map[string]string{
	"go.etcd.io/bbolt":                   module + "/internal/store",
	"github.com/labstack/echo":           module + "/server",
	"github.com/prometheus/":             module + "/internal/metrics",
	"github.com/dgraph-io/ristretto":     module + "/cache",
	"github.com/robfig/cron":             module + "/internal/schedule",
	"github.com/spf13/cobra":             module + "/cmd/nexus",
	"github.com/spf13/pflag":             module + "/cmd/nexus",
	"github.com/tetratelabs/wazero":      module + "/host",
	"github.com/nats-io/":                module + "/internal/store/jetstream",
	"go.opentelemetry.io/":               module + "/internal/telemetry",
	"google.golang.org/protobuf":         module + "/proto",
	"github.com/charmbracelet/bubbletea": module + "/cmd/nexus",
	"github.com/knadh/koanf":             module + "/internal/config",
	"github.com/DataDog/datadog-go":      module + "/internal/metrics",
	"go.yaml.in/yaml":                    module + "/internal/config",
	"github.com/chromedp/":               module + "/internal/ui",
}

// coOwners are further packages allowed to import a dependency of owners:
// internal/config binds the CLI's flag set to the configuration file.
var coOwners = map[string][]string{
	"github.com/spf13/pflag": {module + "/internal/config"},
}

// subOwners are sub-packages that may import their parent's dependencies
// (and these others) too: parts of it no other package imports. The OTLP
// test receiver decodes the protobuf export requests it receives.
var subOwners = map[string][]string{
	module + "/host/internal":               {"github.com/tetratelabs/wazero"},
	module + "/internal/telemetry/otlptest": {"go.opentelemetry.io/", "google.golang.org/protobuf"},
}

// mayImport reports whether pkg is a sub-package allowed to import dep.
func mayImport(pkg, dep string) bool {
	for sub, deps := range subOwners {
		if within(pkg, sub) {
			for _, d := range deps {
				if strings.HasPrefix(dep, d) {
					return true
				}
			}
		}
	}
	return false
}

// stdlibOnly are the packages (and their sub-packages) that may import
// nothing outside the standard library: the guest ABI, which guests
// compile for wasip1, and the Go client that users import.
var stdlibOnly = []string{module + "/abi", module + "/client"}

type pkg struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

// packages lists every package of the module with its non-test imports.
func packages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"/...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages", len(pkgs))
	}
	return pkgs
}

// within reports whether path is p or one of its sub-packages.
func within(path, p string) bool { return path == p || strings.HasPrefix(path, p+"/") }

// isStdlib reports whether an import path is the standard library's: no
// dot in its first element.
func isStdlib(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// TestImportRules checks CONTRIBUTING.md's rules: each dependency is
// imported by its one package (for wazero, host and its internal
// sub-packages, which are parts of the sandbox no other package can
// import); nothing imports server but the wiring (cmd and internal/node)
// and nothing imports cmd; abi and client import only the standard
// library.
func TestImportRules(t *testing.T) {
	for _, p := range packages(t) {
		for _, imp := range p.Imports {
			for dep, owner := range owners {
				if strings.HasPrefix(imp, dep) && p.ImportPath != owner && !slices.Contains(coOwners[dep], p.ImportPath) &&
					!mayImport(p.ImportPath, imp) {
					t.Errorf("%s imports %s; only %s may", p.ImportPath, imp, owner)
				}
			}
			if within(imp, module+"/server") && !within(p.ImportPath, module+"/cmd") && p.ImportPath != module+"/internal/node" {
				t.Errorf("%s imports %s; nothing but cmd and internal/node imports server", p.ImportPath, imp)
			}
			if within(imp, module+"/cmd") {
				t.Errorf("%s imports %s; nothing imports cmd", p.ImportPath, imp)
			}
			for _, leaf := range stdlibOnly {
				if within(p.ImportPath, leaf) && !isStdlib(imp) && !within(imp, leaf) {
					t.Errorf("%s imports %s; it may import only the standard library", p.ImportPath, imp)
				}
			}
		}
	}
}

// deps lists the packages that pkg (a path of the module) depends on,
// itself included, outside tests.
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	cmd := exec.Command("go", "list", "-deps", module+"/"+pkg)
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v\n%s", pkg, err, stderr.String())
	}
	return strings.Fields(string(out))
}

// TestErrorKinds checks DESIGN.md's rule that error kinds live in a leaf
// package: internal/errkind imports only the standard library,
// internal/errcode (the HTTP table) only errkind, and only the server,
// the conformance suite and the CLI import errcode. The task service and
// the schedules match on kinds, so neither links the table; the
// schedules link no sandbox either (the task service runs tasks, so it
// needs host).
func TestErrorKinds(t *testing.T) {
	errkind, errcode := module+"/internal/errkind", module+"/internal/errcode"
	for _, p := range packages(t) {
		for _, imp := range p.Imports {
			switch {
			case p.ImportPath == errkind && !isStdlib(imp):
				t.Errorf("%s imports %s; it may import only the standard library", p.ImportPath, imp)
			case p.ImportPath == errcode && !isStdlib(imp) && imp != errkind:
				t.Errorf("%s imports %s; it may import only %s and the standard library", p.ImportPath, imp, errkind)
			case imp == errcode && !within(p.ImportPath, module+"/server") &&
				!within(p.ImportPath, module+"/conformance") && !within(p.ImportPath, module+"/cmd"):
				t.Errorf("%s imports %s; only server, conformance and cmd may", p.ImportPath, imp)
			}
		}
	}
	for _, pkg := range []string{"internal/tasks", "internal/schedule"} {
		for _, d := range deps(t, pkg) {
			if d == errcode {
				t.Errorf("%s depends on %s", pkg, d)
			}
		}
	}
	for _, d := range deps(t, "internal/schedule") {
		if strings.HasPrefix(d, "github.com/tetratelabs/wazero") || within(d, module+"/host") {
			t.Errorf("internal/schedule depends on %s", d)
		}
	}
}
