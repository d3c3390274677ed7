package workflow

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// Graph formats of GET /v1/workflows/{id}/graph.
const (
	GraphMermaid = "mermaid"
	GraphDot     = "dot"
	GraphJSON    = "json"
)

// GraphNode and GraphEdge make the JSON graph.
type GraphNode struct {
	ID    string `json:"id"`
	State string `json:"state"`
	Group string `json:"group,omitempty"`
}

// GraphEdge runs from a step to a step that depends on it.
type GraphEdge struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Graph renders workflow id's dependencies with each step's state in
// format, returning the text and its media type.
func (e *Engine) Graph(ctx context.Context, id, format string) ([]byte, string, error) {
	v, err := e.Get(ctx, id)
	if err != nil {
		return nil, "", err
	}
	e.mu.Lock()
	r, ok := e.runs[id]
	e.mu.Unlock()
	var edges []GraphEdge
	if ok {
		for i, ds := range r.g.deps {
			for _, j := range ds {
				edges = append(edges, GraphEdge{From: r.def.Steps[j].ID, To: r.def.Steps[i].ID})
			}
		}
	} else {
		groups := map[string][]string{}
		for _, s := range v.Steps {
			if s.Group != "" {
				groups[s.Group] = append(groups[s.Group], s.ID)
			}
		}
		for _, s := range v.Steps {
			seen := map[string]bool{}
			for _, d := range s.DependsOn {
				from := []string{d}
				if g, ok := strings.CutPrefix(d, groupPrefix); ok {
					from = groups[g]
				}
				for _, f := range from {
					if !seen[f] && f != s.ID {
						seen[f] = true
						edges = append(edges, GraphEdge{From: f, To: s.ID})
					}
				}
			}
		}
	}
	switch format {
	case "", GraphMermaid:
		return mermaid(v, edges), "text/plain; charset=utf-8", nil
	case GraphDot:
		return dot(v, edges), "text/vnd.graphviz; charset=utf-8", nil
	case GraphJSON:
		g := struct {
			ID    string      `json:"id"`
			State string      `json:"state"`
			Nodes []GraphNode `json:"nodes"`
			Edges []GraphEdge `json:"edges"`
		}{ID: v.ID, State: v.State, Nodes: make([]GraphNode, len(v.Steps)), Edges: edges}
		for i, s := range v.Steps {
			g.Nodes[i] = GraphNode{ID: s.ID, State: s.State, Group: s.Group}
		}
		if g.Edges == nil {
			g.Edges = []GraphEdge{}
		}
		b, err := json.Marshal(g)
		return b, "application/json", err
	}
	return nil, "", bad("format %q must be mermaid, dot or json", format)
}

// mermaid renders a flowchart, a class per state.
func mermaid(v View, edges []GraphEdge) []byte {
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	for _, s := range v.Steps {
		fmt.Fprintf(&b, "  %s[\"%s: %s\"]:::%s\n", nodeID(s.ID), s.ID, s.State, s.State)
	}
	for _, e := range edges {
		fmt.Fprintf(&b, "  %s --> %s\n", nodeID(e.From), nodeID(e.To))
	}
	for _, c := range [][2]string{
		{"pending", "fill:#eee"}, {"scheduled", "fill:#eee"}, {"queued", "fill:#ddf"}, {"running", "fill:#bdf"},
		{"succeeded", "fill:#bfb"}, {"failed", "fill:#fbb"}, {"dead", "fill:#f88"}, {"canceled", "fill:#ccc"}, {"skipped", "fill:#fff,stroke-dasharray: 4"},
	} {
		fmt.Fprintf(&b, "  classDef %s %s\n", c[0], c[1])
	}
	return []byte(b.String())
}

// dot renders a Graphviz digraph.
func dot(v View, edges []GraphEdge) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %q {\n", v.ID)
	for _, s := range v.Steps {
		fmt.Fprintf(&b, "  %q [label=%q];\n", s.ID, s.ID+": "+s.State)
	}
	for _, e := range edges {
		fmt.Fprintf(&b, "  %q -> %q;\n", e.From, e.To)
	}
	b.WriteString("}\n")
	return []byte(b.String())
}

// nodeID is a Mermaid-safe node id for step id.
func nodeID(id string) string {
	return "s_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' {
			return r
		}
		return '_'
	}, id)
}
