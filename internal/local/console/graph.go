package console

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// The graph is laid out on the server and drawn as inline SVG, from the ASL
// definition alone: no JavaScript layout library, nothing to vendor or
// audit, it renders with scripts off and is testable in Go. ASL graphs are
// small, mostly linear flows with Catch edges to a failure path, so a simple
// layered layout reads well:
//
//   - layers: the longest path from StartAt over forward edges (edges back
//     to a state on the DFS stack are loops and routed around the side);
//   - columns: a state continues the column of the state whose Next or
//     Default reaches it first; states reached only by Catch or Choice
//     branches open a new column to the right, so the happy path is a
//     straight line and the failure path runs beside it;
//   - Map and Parallel are containers holding their own layout (Parallel's
//     branches side by side), sized from the inside out.

// aslScope is a StartAt plus States: the top level, a Map's ItemProcessor
// (or legacy Iterator), or one Parallel branch.
type aslScope struct {
	StartAt string               `json:"StartAt"`
	States  map[string]*aslState `json:"States"`
}

type aslState struct {
	Type     string `json:"Type"`
	Comment  string `json:"Comment"`
	Error    string `json:"Error"` // Fail
	Cause    string `json:"Cause"` // Fail
	Resource string `json:"Resource"`
	Next     string `json:"Next"`
	End      bool   `json:"End"`
	Default  string `json:"Default"`
	Choices  []struct {
		Next string `json:"Next"`
	} `json:"Choices"`
	Catch []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		Next        string   `json:"Next"`
	} `json:"Catch"`
	Retry []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		MaxAttempts *int     `json:"MaxAttempts"`
	} `json:"Retry"`
	Parameters    json.RawMessage `json:"Parameters"`
	Arguments     json.RawMessage `json:"Arguments"`
	Branches      []*aslScope     `json:"Branches"`
	Iterator      *aslScope       `json:"Iterator"`
	ItemProcessor *aslScope       `json:"ItemProcessor"`
}

func (s *aslState) processor() *aslScope {
	if s.ItemProcessor != nil {
		return s.ItemProcessor
	}
	return s.Iterator
}

// parseDefinition reads what the graph needs from an ASL document.
func parseDefinition(def string) (*aslScope, error) {
	var sc aslScope
	if err := json.Unmarshal([]byte(def), &sc); err != nil {
		return nil, fmt.Errorf("console: definition: %w", err)
	}
	if sc.States == nil || sc.States[sc.StartAt] == nil {
		return nil, fmt.Errorf("console: definition: StartAt %q names no state", sc.StartAt)
	}
	return &sc, nil
}

// stateTypes maps every state name (at any depth) to its Type.
func stateTypes(sc *aslScope) map[string]string {
	out := map[string]string{}
	walkStates(sc, func(name string, st *aslState) { out[name] = st.Type })
	return out
}

// failState is what a Fail state declares.
type failState struct{ Error, Cause string }

// failStates maps every Fail state to its Error and Cause, when they are
// written as text (not paths or JSONata expressions).
func failStates(sc *aslScope) map[string]failState {
	out := map[string]failState{}
	literal := func(s string) string {
		if strings.HasPrefix(s, "{%") {
			return ""
		}
		return s
	}
	walkStates(sc, func(name string, st *aslState) {
		if st.Type == "Fail" {
			out[name] = failState{Error: literal(st.Error), Cause: literal(st.Cause)}
		}
	})
	return out
}

// walkStates calls fn for every state, at any depth.
func walkStates(sc *aslScope, fn func(name string, st *aslState)) {
	if sc == nil {
		return
	}
	for name, st := range sc.States {
		fn(name, st)
		walkStates(st.processor(), fn)
		for _, b := range st.Branches {
			walkStates(b, fn)
		}
	}
}

// Graph is the view model of a drawn state machine.
type Graph struct {
	Width, Height int
	Nodes         []GraphNode // containers first, so leaves draw on top
	Edges         []GraphEdge
}

// GraphNode is one drawn state (or the Start/End markers).
type GraphNode struct {
	Name      string // state name; "" for markers
	Label     string // name as drawn (shortened)
	Sub       string // second line: type and what happened
	Kind      string // task, pass, choice, succeed, fail, map, parallel, marker, ...
	Status    string // succeeded, failed, caught, retried, running, notreached, "" (no execution)
	Failing   bool
	Container bool
	X, Y      int
	W, H      int
	TextX     int
	TextY     int
	SubX      int
	SubY      int
	Aria      string
	PanelID   string // the detail panel's DOM id
}

// GraphEdge is one transition.
type GraphEdge struct {
	D     string // SVG path
	Kind  string // next, catch, choice, loop
	Taken bool
	Title string
}

const (
	nodeW    = 208
	nodeH    = 50
	markerW  = 72
	markerH  = 28
	colGap   = 48
	layerGap = 40
	pad      = 16
	headerH  = 44
)

type box struct {
	name       string
	st         *aslState
	w, h       int
	x, y       int // relative to the scope
	layer, col int
	inner      []*scopeLayout // containers: Map has one, Parallel one per branch
	innerX     []int
	marker     string // "start" or "end"
}

type edge struct {
	from, to string
	kind     string
	title    string
}

type scopeLayout struct {
	boxes map[string]*box
	order []string
	edges []edge
	w, h  int
}

// successors lists a state's transitions, the primary one (Next/Default) first.
func successors(st *aslState) []edge {
	var out []edge
	if st.Next != "" {
		out = append(out, edge{to: st.Next, kind: "next"})
	}
	if st.Default != "" {
		out = append(out, edge{to: st.Default, kind: "next", title: "Default"})
	}
	for _, c := range st.Choices {
		if c.Next != "" {
			out = append(out, edge{to: c.Next, kind: "choice", title: "Choice rule"})
		}
	}
	for _, c := range st.Catch {
		if c.Next != "" {
			out = append(out, edge{to: c.Next, kind: "catch", title: "Catch " + strings.Join(c.ErrorEquals, ", ")})
		}
	}
	return out
}

// layoutScope lays out one scope; markers adds Start/End pills (top level).
func layoutScope(sc *aslScope, markers bool) *scopeLayout {
	l := &scopeLayout{boxes: map[string]*box{}}
	// DFS for a topological order of forward edges; loops are edges to a
	// state still on the stack.
	onStack := map[string]bool{}
	seen := map[string]bool{}
	var post []string
	var dfs func(string)
	dfs = func(n string) {
		st := sc.States[n]
		if st == nil || seen[n] {
			return
		}
		seen[n], onStack[n] = true, true
		for _, e := range successors(st) {
			e.from = n
			if onStack[e.to] {
				e.kind = "loop"
			}
			l.edges = append(l.edges, e)
			dfs(e.to)
		}
		onStack[n] = false
		post = append(post, n)
	}
	dfs(sc.StartAt)
	var rest []string
	for n := range sc.States {
		if !seen[n] {
			rest = append(rest, n)
		}
	}
	sort.Strings(rest)
	for _, n := range rest {
		dfs(n)
	}
	slices.Reverse(post)
	l.order = post

	for _, n := range l.order {
		l.boxes[n] = measure(n, sc.States[n])
	}
	// Layers: longest path over forward edges, in topological order.
	for _, n := range l.order {
		b := l.boxes[n]
		for _, e := range l.edges {
			if e.from == n && e.kind != "loop" && l.boxes[e.to] != nil {
				l.boxes[e.to].layer = max(l.boxes[e.to].layer, b.layer+1)
			}
		}
	}
	// Columns: the primary successor keeps its predecessor's column.
	occupied := map[[2]int]bool{}
	assigned := map[string]bool{}
	nextCol := 0
	place := func(n string, col int) {
		b := l.boxes[n]
		if col < 0 || occupied[[2]int{col, b.layer}] {
			col = nextCol
		}
		b.col = col
		nextCol = max(nextCol, col+1)
		occupied[[2]int{col, b.layer}] = true
		assigned[n] = true
	}
	for _, n := range l.order {
		if !assigned[n] {
			place(n, -1)
		}
		for _, e := range l.edges {
			if e.from != n || assigned[e.to] || l.boxes[e.to] == nil || e.kind == "loop" {
				continue
			}
			// Only the first forward edge into a state decides; a later
			// state may still be primary for it, so wait unless primary.
			if e.kind == "next" {
				place(e.to, l.boxes[n].col)
			}
		}
		for _, e := range l.edges {
			if e.from == n && !assigned[e.to] && l.boxes[e.to] != nil && e.kind != "loop" && !hasPrimaryPredecessor(l, e.to) {
				place(e.to, -1)
			}
		}
	}
	if markers {
		maxLayer := 0
		for _, b := range l.boxes {
			b.layer++ // make room for Start
			maxLayer = max(maxLayer, b.layer)
		}
		start := &box{name: "", marker: "start", w: markerW, h: markerH, col: l.boxes[sc.StartAt].col}
		end := &box{name: "", marker: "end", w: markerW, h: markerH, layer: maxLayer + 1}
		l.boxes["\x00start"], l.boxes["\x00end"] = start, end
		l.order = append([]string{"\x00start"}, l.order...)
		l.order = append(l.order, "\x00end")
		l.edges = append(l.edges, edge{from: "\x00start", to: sc.StartAt, kind: "next"})
		for _, n := range l.order {
			if st := sc.States[n]; st != nil && (st.End || st.Type == "Succeed" || st.Type == "Fail") {
				l.edges = append(l.edges, edge{from: n, to: "\x00end", kind: "next"})
			}
		}
	}
	// Column widths and layer heights.
	colW, layerH := map[int]int{}, map[int]int{}
	maxCol, maxLayer := 0, 0
	for _, b := range l.boxes {
		colW[b.col] = max(colW[b.col], b.w)
		layerH[b.layer] = max(layerH[b.layer], b.h)
		maxCol, maxLayer = max(maxCol, b.col), max(maxLayer, b.layer)
	}
	colX, layerY := make([]int, maxCol+2), make([]int, maxLayer+2)
	for c := 0; c <= maxCol; c++ {
		colX[c+1] = colX[c] + colW[c] + colGap
	}
	for y := 0; y <= maxLayer; y++ {
		layerY[y+1] = layerY[y] + layerH[y] + layerGap
	}
	for _, b := range l.boxes {
		b.x = colX[b.col] + (colW[b.col]-b.w)/2
		b.y = layerY[b.layer]
	}
	l.w = colX[maxCol+1] - colGap
	l.h = layerY[maxLayer+1] - layerGap
	if n := countLoops(l); n > 0 {
		l.w += 16 + 8*n // lanes for loop edges
	}
	return l
}

func hasPrimaryPredecessor(l *scopeLayout, n string) bool {
	for _, e := range l.edges {
		if e.to == n && e.kind == "next" {
			return true
		}
	}
	return false
}

func countLoops(l *scopeLayout) int {
	n := 0
	for _, e := range l.edges {
		if e.kind == "loop" {
			n++
		}
	}
	return n
}

// measure sizes a state; containers lay out their insides first.
func measure(name string, st *aslState) *box {
	b := &box{name: name, st: st, w: nodeW, h: nodeH}
	switch {
	case st.Type == "Map" && st.processor() != nil:
		in := layoutScope(st.processor(), false)
		b.inner = []*scopeLayout{in}
		b.innerX = []int{pad}
		b.w = max(nodeW, in.w+2*pad)
		b.innerX[0] = (b.w - in.w) / 2
		b.h = headerH + in.h + 2*pad
	case st.Type == "Parallel" && len(st.Branches) > 0:
		x, h := pad, 0
		for _, br := range st.Branches {
			in := layoutScope(br, false)
			b.inner = append(b.inner, in)
			b.innerX = append(b.innerX, x)
			x += in.w + colGap
			h = max(h, in.h)
		}
		b.w = max(nodeW, x-colGap+pad)
		b.h = headerH + h + 2*pad
	}
	return b
}

// graphStatus is what happened to each state (nil: draw the definition only).
type graphStatus map[string]*stateRun

// buildGraph lays out a definition and decorates it with runs.
func buildGraph(def *aslScope, runs graphStatus) Graph {
	l := layoutScope(def, true)
	g := Graph{Width: l.w + 2*pad, Height: l.h + 2*pad}
	emit(&g, l, pad, pad, runs)
	// Containers first so their children draw above them.
	sort.SliceStable(g.Nodes, func(i, j int) bool { return g.Nodes[i].Container && !g.Nodes[j].Container })
	return g
}

func emit(g *Graph, l *scopeLayout, ox, oy int, runs graphStatus) {
	for _, n := range l.order {
		b := l.boxes[n]
		x, y := ox+b.x, oy+b.y
		node := GraphNode{Name: b.name, X: x, Y: y, W: b.w, H: b.h, TextX: x + b.w/2}
		if b.marker != "" {
			node.Kind, node.Label = "marker", map[string]string{"start": "Start", "end": "End"}[b.marker]
			node.TextY = y + b.h/2 + 5
			g.Nodes = append(g.Nodes, node)
			continue
		}
		node.Kind = strings.ToLower(b.st.Type)
		node.Label = shorten(b.name, 26)
		node.Sub = describe(b.st)
		node.Container = len(b.inner) > 0
		node.PanelID = domID(b.name)
		if node.Container {
			node.TextX, node.TextY = x+14, y+20
			node.SubX, node.SubY = x+14, y+36
		} else {
			node.TextY = y + 21
			node.SubX, node.SubY = node.TextX, y+39
		}
		if runs != nil {
			node.Status = "notreached"
			if r := runs[b.name]; r != nil {
				node.Status = r.Status
				node.Failing = r.Failing
				node.Sub = r.summary(b.st.Type)
			}
		}
		node.Aria = b.name + ", " + b.st.Type
		if node.Status != "" {
			node.Aria += ", " + statusWords[node.Status]
		}
		g.Nodes = append(g.Nodes, node)
		for i, in := range b.inner {
			emit(g, in, x+b.innerX[i], y+headerH+pad, runs)
		}
	}
	// Edges.
	lane := 0
	for _, e := range l.edges {
		from, to := l.boxes[e.from], l.boxes[e.to]
		if from == nil || to == nil {
			continue
		}
		sx, sy := ox+from.x, oy+from.y
		tx, ty := ox+to.x, oy+to.y
		scx, tcx := sx+from.w/2, tx+to.w/2
		var d string
		switch {
		case e.kind == "loop" || to.layer <= from.layer:
			lx := ox + l.w - 4 - 8*lane
			lane++
			d = fmt.Sprintf("M%d %d H%d V%d H%d", sx+from.w, sy+from.h/2, lx, ty+to.h/2, tx+to.w)
		case from.col == to.col:
			d = fmt.Sprintf("M%d %d V%d", scx, sy+from.h, ty)
		case to.layer == from.layer+1 && e.kind != "catch":
			mid := sy + from.h + (ty-sy-from.h)/2
			d = fmt.Sprintf("M%d %d V%d H%d V%d", scx, sy+from.h, mid, tcx, ty)
		default:
			side := sx + from.w
			if to.col < from.col {
				side = sx
			}
			d = fmt.Sprintf("M%d %d H%d V%d", side, sy+from.h/2, tcx, ty)
		}
		ge := GraphEdge{D: d, Kind: e.kind, Title: e.title}
		if runs != nil {
			ge.Taken = taken(runs, e, from, to)
		}
		g.Edges = append(g.Edges, ge)
	}
}

func taken(runs graphStatus, e edge, from, to *box) bool {
	if from.marker == "start" {
		return runs[e.to] != nil
	}
	fr := runs[e.from]
	if fr == nil {
		return false
	}
	if to.marker == "end" {
		return fr.Status != "running" && fr.Status != "notreached"
	}
	tr := runs[e.to]
	if tr == nil {
		return false
	}
	if e.kind == "catch" {
		return fr.Status == "caught"
	}
	return fr.Exited > 0
}

// describe is a state's second line without an execution.
func describe(st *aslState) string {
	switch {
	case st.Type == "Task" && strings.Contains(st.Resource, ":lambda:"):
		return "Task · Lambda"
	case st.Type == "Task" && strings.Contains(st.Resource, ":::sns:"):
		return "Task · SNS publish"
	case st.Type == "Map":
		return "Map"
	}
	return st.Type
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

var statusWords = map[string]string{
	"succeeded": "succeeded", "failed": "failed", "caught": "failed, caught",
	"retried": "succeeded after retry", "running": "running", "notreached": "not reached",
}
