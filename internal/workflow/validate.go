package workflow

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/nexustask/nexus/internal/names"
)

// DefaultMaxSteps bounds a workflow's steps unless Config.MaxSteps says
// otherwise.
const DefaultMaxSteps = 10000

// groupPrefix marks a group in depends_on.
const groupPrefix = "group:"

// graph is a validated definition's dependencies by step index.
type graph struct {
	deps       [][]int // the steps each step waits for, groups expanded
	dependents [][]int
	index      map[string]int
	inputs     [][]int // input_from by index
}

// Resolver says whether a module version exists (nil error).
type Resolver func(ctx context.Context, module string, version int) error

// validate checks d whole and returns its graph, or an error listing
// every problem found.
func validate(ctx context.Context, d *Definition, maxSteps int, resolve Resolver) (*graph, error) {
	var probs []string
	add := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	if len(d.Steps) == 0 {
		return nil, bad("a workflow needs at least one step")
	}
	if len(d.Steps) > maxSteps {
		return nil, bad("%d steps: more than --max-steps (%d)", len(d.Steps), maxSteps)
	}
	if d.Name != "" && !names.Valid(d.Name) {
		add("name %q must match %s", d.Name, names.Pattern)
	}
	for _, t := range d.Tags {
		if !names.Valid(t) {
			add("tag %q must match %s", t, names.Pattern)
		}
	}
	if d.Priority != nil && (*d.Priority < 0 || *d.Priority > 9) {
		add("priority %d must be from 0 to 9", *d.Priority)
	}
	g := &graph{index: make(map[string]int, len(d.Steps))}
	groups := map[string][]int{}
	for i := range d.Steps {
		st := &d.Steps[i]
		switch {
		case st.ID == "":
			add("steps[%d] has no id", i)
			continue
		case !names.Valid(st.ID):
			add("step id %q must match %s", st.ID, names.Pattern)
		}
		if _, dup := g.index[st.ID]; dup {
			add("duplicate step id %q", st.ID)
			continue
		}
		g.index[st.ID] = i
		if st.Group != "" {
			if !names.Valid(st.Group) {
				add("step %s: group %q must match %s", st.ID, st.Group, names.Pattern)
			}
			groups[st.Group] = append(groups[st.Group], i)
		}
	}
	if len(probs) > 0 {
		return nil, bad("%s", strings.Join(probs, "; "))
	}
	missing := map[string]bool{}
	checkModule := func(name string, version int) {
		key := fmt.Sprintf("%s@%d", name, version)
		if _, seen := missing[key]; seen || resolve == nil {
			return
		}
		missing[key] = resolve(ctx, name, version) != nil
	}
	g.deps = make([][]int, len(d.Steps))
	g.inputs = make([][]int, len(d.Steps))
	g.dependents = make([][]int, len(d.Steps))
	for i := range d.Steps {
		st := &d.Steps[i]
		switch st.OnFailure {
		case "", OnFailureFail, OnFailureContinue, OnFailureSkip:
		default:
			add("step %s: on_failure %q must be fail, continue or skip", st.ID, st.OnFailure)
		}
		switch {
		case st.Map != nil && st.Spec.Module != "":
			add("step %s: give module or map, not both", st.ID)
		case st.Map != nil:
			if err := st.Map.Validate(); err != nil {
				add("step %s: map: %v", st.ID, err)
			} else {
				checkModule(st.Map.Module, st.Map.Version)
			}
			if len(st.InputFrom) != 1 {
				add("step %s: a map step needs input_from naming one step", st.ID)
			}
		default:
			if err := st.Spec.Validate(); err != nil {
				add("step %s: %v", st.ID, err)
			} else {
				checkModule(st.Spec.Module, st.Spec.Version)
			}
		}
		for _, dep := range st.DependsOn {
			if grp, ok := strings.CutPrefix(dep, groupPrefix); ok {
				members, ok := groups[grp]
				if !ok {
					add("step %s depends on unknown group %q", st.ID, grp)
				}
				for _, m := range members {
					if m == i {
						add("step %s depends on its own group %q", st.ID, grp)
						break
					}
					g.deps[i] = append(g.deps[i], m)
				}
				continue
			}
			j, ok := g.index[dep]
			if !ok {
				add("step %s depends on unknown step %q", st.ID, dep)
				continue
			}
			g.deps[i] = append(g.deps[i], j)
		}
		slices.Sort(g.deps[i])
		g.deps[i] = slices.Compact(g.deps[i])
		for _, src := range st.InputFrom {
			j, ok := g.index[src]
			switch {
			case !ok:
				add("step %s takes input from unknown step %q", st.ID, src)
			case !slices.Contains(g.deps[i], j):
				add("step %s takes input from %q, which is not one of its dependencies", st.ID, src)
			default:
				g.inputs[i] = append(g.inputs[i], j)
			}
		}
	}
	if d.Callback != nil {
		if d.Callback.URL != "" {
			if err := checkURL(d.Callback.URL); err != nil {
				add("callback: %v", err)
			}
		} else if err := d.Callback.Spec.Validate(); err != nil {
			add("callback: %v", err)
		} else {
			checkModule(d.Callback.Spec.Module, d.Callback.Spec.Version)
		}
	}
	var gone []string
	for key, miss := range missing {
		if miss {
			gone = append(gone, key)
		}
	}
	if len(gone) > 0 {
		slices.Sort(gone)
		for i, k := range gone {
			gone[i] = strings.TrimSuffix(k, "@0")
		}
		add("missing modules: %s", strings.Join(gone, ", "))
	}
	for i, ds := range g.deps {
		for _, j := range ds {
			g.dependents[j] = append(g.dependents[j], i)
		}
	}
	for _, c := range cycles(d, g.deps) {
		add("cycle: %s", c)
	}
	if len(probs) > 0 {
		return nil, bad("%s", strings.Join(probs, "; "))
	}
	return g, nil
}

// maxCyclesNamed bounds the cycles an error names.
const maxCyclesNamed = 5

// cycles returns the dependency cycles found by a depth-first walk, each
// named along its edges ("a → b → a": a depends on b, b on a), at most
// maxCyclesNamed of them.
func cycles(d *Definition, deps [][]int) []string {
	const (
		white = iota
		grey
		black
	)
	color := make([]uint8, len(deps))
	var out []string
	type frame struct{ node, next int }
	for root := range deps {
		if color[root] != white {
			continue
		}
		stack := []frame{{root, 0}}
		color[root] = grey
		for len(stack) > 0 && len(out) < maxCyclesNamed {
			f := &stack[len(stack)-1]
			if f.next == len(deps[f.node]) {
				color[f.node] = black
				stack = stack[:len(stack)-1]
				continue
			}
			n := deps[f.node][f.next]
			f.next++
			switch color[n] {
			case white:
				color[n] = grey
				stack = append(stack, frame{n, 0})
			case grey:
				k := len(stack) - 1
				for stack[k].node != n {
					k--
				}
				var path []string
				for _, fr := range stack[k:] {
					path = append(path, d.Steps[fr.node].ID)
				}
				path = append(path, d.Steps[n].ID)
				out = append(out, strings.Join(path, " → "))
			}
		}
	}
	return out
}
