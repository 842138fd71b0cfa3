package console

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/imgflow/imgflow/internal/local/lambda"
)

// StateMachineView is the state machine page: the definition beside its
// graph, and the functions with their statistics.
type StateMachineView struct {
	Layout
	Name          string
	ARN           string
	Type          string
	Created       time.Time
	Updated       time.Time
	RevisionID    string
	Definition    string
	Graph         Graph
	Functions     []FunctionView
	StateMachines []Option
}

// FunctionView is one Lambda function.
type FunctionView struct {
	Name, LogicalID, ARN, Runtime, Handler string
	MemoryMB                               int
	Timeout                                time.Duration
	ReservedConcurrency                    int
	Invocations, Errors                    int64
	ErrorRate                              string
	P50, P90, P99, Init                    time.Duration
	InFlight                               int
	Environment                            []Header
	OnFailure                              string
}

func (h *handler) stateMachinePage(w http.ResponseWriter, r *http.Request) {
	arns, err := h.stateMachines(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	arn := smARN(r.URL.Query().Get("sm"), arns)
	if arn == "" {
		http.NotFound(w, r)
		return
	}
	sm, err := h.sfn.DescribeStateMachine(r.Context(), arn)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	def, err := parseDefinition(sm.Definition)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := StateMachineView{Layout: h.layout(r, "State machine "+sm.Name, "state-machine"), Name: sm.Name, ARN: sm.ARN, Type: sm.Type,
		Created: sm.CreationDate, Updated: sm.UpdateDate, RevisionID: sm.RevisionID, Graph: buildGraph(def, nil)}
	var buf bytes.Buffer
	if json.Indent(&buf, []byte(sm.Definition), "", "  ") == nil {
		v.Definition = buf.String()
	} else {
		v.Definition = sm.Definition
	}
	v.StateMachines = options(arns, arn)
	for _, s := range h.lambda.Stats() {
		v.Functions = append(v.Functions, functionView(s))
	}
	h.render(w, r, "statemachine", http.StatusOK, v)
}

func functionView(s lambda.Stats) FunctionView {
	f := s.Function
	fv := FunctionView{Name: f.Name, LogicalID: f.LogicalID, ARN: f.ARN, Runtime: f.Runtime, Handler: f.Handler, MemoryMB: f.MemoryMB,
		Timeout: f.Timeout, ReservedConcurrency: f.ReservedConcurrency, Invocations: s.Invocations, Errors: s.Errors,
		P50: s.P50, P90: s.P90, P99: s.P99, Init: s.Init, InFlight: s.InFlight, OnFailure: f.OnFailure}
	if s.Invocations > 0 {
		fv.ErrorRate = formatPct(float64(s.Errors) / float64(s.Invocations))
	}
	for k, val := range f.Environment {
		fv.Environment = append(fv.Environment, Header{k, val})
	}
	sort.Slice(fv.Environment, func(i, j int) bool { return fv.Environment[i].Name < fv.Environment[j].Name })
	return fv
}

func formatPct(f float64) string {
	b, _ := json.Marshal(float64(int(f*1000+0.5)) / 10)
	return string(b) + "%"
}
