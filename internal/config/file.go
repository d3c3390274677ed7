package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	kjson "github.com/knadh/koanf/parsers/json"
	"github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/providers/rawbytes"
	"github.com/knadh/koanf/v2"
	"github.com/spf13/pflag"
)

// Formats lists the file extensions Load reads.
var Formats = []string{".yaml", ".yml", ".json", ".toml"}

// fileValues are a configuration file's keys and values.
type fileValues struct {
	path   string
	text   []byte
	values map[string]any // flattened: a nested table's key is "a.b"
}

// parser returns the koanf parser for path's extension.
func parser(path string) (koanf.Parser, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		return yaml.Parser(), nil
	case ".json":
		return kjson.Parser(), nil
	case ".toml":
		return toml.Parser(), nil
	}
	return nil, fmt.Errorf("config: %s: unknown format (want a file ending in %s)", displayPath(path), strings.Join(Formats, ", "))
}

// readFile reads and parses path; "" is an empty file.
func readFile(path string) (*fileValues, error) {
	fv := &fileValues{path: path, values: map[string]any{}}
	if path == "" {
		return fv, nil
	}
	p, err := parser(path)
	if err != nil {
		return nil, err
	}
	if fv.text, err = os.ReadFile(path); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	k := koanf.New(".")
	if err := k.Load(rawbytes.Provider(fv.text), p); err != nil {
		return nil, fmt.Errorf("config: %s: %s", fv.where(syntaxOffset(err)), err)
	}
	fv.values = k.All()
	return fv, nil
}

// syntaxOffset returns the byte offset a JSON syntax error names, or -1.
func syntaxOffset(err error) int64 {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Offset
	}
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return te.Offset
	}
	return -1
}

// where names the file, with the line holding byte offset off if off ≥ 0.
func (fv *fileValues) where(off int64) string {
	if off < 0 || off > int64(len(fv.text)) {
		return displayPath(fv.path)
	}
	return fmt.Sprintf("%s:%d", displayPath(fv.path), 1+bytes.Count(fv.text[:off], []byte("\n")))
}

// origin names the file and the line that sets key (its last part, for
// a key of a nested table), or the file alone if no line is found.
func (fv *fileValues) origin(key string) string {
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		key = key[i+1:]
	}
	// A key as YAML, TOML or JSON write it: at a line's start or after
	// a brace or comma, maybe quoted, then ':' or '='.
	re := regexp.MustCompile(`(^|[\s{,])["']?` + regexp.QuoteMeta(key) + `["']?\s*[:=]`)
	for i, line := range strings.Split(string(fv.text), "\n") {
		if re.MatchString(line) {
			return fmt.Sprintf("%s:%d", displayPath(fv.path), i+1)
		}
	}
	return displayPath(fv.path)
}

// checkKeys refuses the keys that name no bound flag, in the order of the
// file's lines.
func (fv *fileValues) checkKeys(fs *pflag.FlagSet, unbound func(string) bool) error {
	var errs []*KeyError
	for key := range fv.values {
		if f := fs.Lookup(key); f == nil || unbound(key) {
			errs = append(errs, &KeyError{Key: key, Origin: fv.origin(key), Err: ErrUnknownKey})
		}
	}
	if len(errs) == 0 {
		return nil
	}
	sort.Slice(errs, func(i, j int) bool { return lineOf(errs[i].Origin) < lineOf(errs[j].Origin) })
	joined := make([]error, len(errs))
	for i, e := range errs {
		joined[i] = e
	}
	return errors.Join(joined...)
}

// lineOf returns the line number at the end of an origin, or 0.
func lineOf(origin string) int {
	i := strings.LastIndexByte(origin, ':')
	n, _ := strconv.Atoi(origin[i+1:])
	return n
}

// ValueStrings returns the flag values of v, a value as a configuration
// file or JSON holds it: a string, a number, a bool, a time, or a list of
// these (for a repeatable flag). A table is refused.
func ValueStrings(v any) ([]string, error) {
	switch v := v.(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, err := scalarString(e)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	case []string:
		return slices.Clone(v), nil
	}
	s, err := scalarString(v)
	if err != nil {
		return nil, err
	}
	return []string{s}, nil
}

// scalarString formats one value as the command line would give it.
func scalarString(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case bool:
		return strconv.FormatBool(v), nil
	case int:
		return strconv.Itoa(v), nil
	case int64:
		return strconv.FormatInt(v, 10), nil
	case uint64:
		return strconv.FormatUint(v, 10), nil
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<63 {
			return strconv.FormatInt(int64(v), 10), nil
		}
		return strconv.FormatFloat(v, 'f', -1, 64), nil
	case json.Number:
		return v.String(), nil
	case time.Time:
		return v.Format(time.RFC3339Nano), nil
	case nil:
		return "", errors.New("wants a value, not null")
	case map[string]any:
		return "", errors.New("wants a value, not a table")
	case []any:
		return "", errors.New("wants a value, not a nested list")
	}
	return "", fmt.Errorf("wants a string, number or bool, not %T", v)
}
