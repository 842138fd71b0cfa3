package sfnapi

import (
	"context"
	"encoding/json"
	"errors"

	"go.uber.org/zap"

	"github.com/imgflow/imgflow/internal/arn"
	"github.com/imgflow/imgflow/internal/local/sfnapi/store"
	"github.com/imgflow/imgflow/internal/sfn"
)

// Distributed Map: the engine runs each item (or batch) as a child
// execution of a Map Run. The service keeps the children as executions
// (DescribeExecution, GetExecutionHistory, ListExecutions with mapRunArn)
// and the Map Runs in the store (DescribeMapRun, ListMapRuns); a running
// Map Run's counters are read live from the engine, and UpdateMapRun
// changes it there.

const codeResourceNotFound = "ResourceNotFound"

// MapRun is a Map Run as DescribeMapRun returns it.
type MapRun = sfn.MapRunInfo

// MapRunCounts are a Map Run's item or child execution counters.
type MapRunCounts = sfn.MapRunCounts

// onChild registers a child execution the engine is about to run, so
// that its events are stored as a started execution's are.
func (s *Service) onChild(x *sfn.Execution) {
	smName := ""
	if _, _, names, ok := arn.States(x.StateMachineARN()); ok {
		smName = names[0]
	}
	rec := store.Execution{ARN: x.ARN(), Name: x.Name(), StateMachineARN: x.StateMachineARN(), StateMachineName: smName,
		Status: StatusRunning, Input: x.Input(), MapRunARN: x.MapRunARN(), DefinitionHash: s.childDefinition(x)}
	started := make(chan struct{})
	close(started)
	le := &liveExec{rec: rec, run: &run{x: x}, started: started, announced: true, done: make(chan struct{})}
	s.live.Store(rec.ARN, le)
	s.wg.Add(1)
	go s.watch(le)
}

// childDefinition stores a Map Run's item processor once, for
// DescribeStateMachineForExecution of its children, and returns its hash.
func (s *Service) childDefinition(x *sfn.Execution) string {
	if h, ok := s.childDefs.Load(x.MapRunARN()); ok {
		return h.(string)
	}
	def := x.Definition()
	h := store.DefinitionHash(def)
	if err := s.st.PutDefinition(def); err != nil {
		s.log.Error("store item processor", zap.String("map_run_arn", x.MapRunARN()), zap.Error(err))
	}
	s.childDefs.Store(x.MapRunARN(), h)
	return h
}

// onMapRun stores a Map Run when it starts and when it ends.
func (s *Service) onMapRun(info sfn.MapRunInfo) {
	b, err := json.Marshal(info)
	if err == nil {
		err = s.st.PutMapRun(store.MapRun{ARN: info.ARN, ExecutionARN: info.ExecutionARN, StartDate: info.StartDate, Info: b})
	}
	if err != nil {
		s.log.Error("store map run", zap.String("map_run_arn", info.ARN), zap.Error(err))
	}
	if info.Status != sfn.MapRunRunning {
		// The engine forgets an ended Map Run once its record is
		// committed; DescribeMapRun then reads the store.
		s.childDefs.Delete(info.ARN)
		if err := s.st.Flush(context.Background()); err == nil {
			s.eng.e.ForgetMapRun(info.ARN)
		}
	}
}

// DescribeMapRun returns a Map Run: live counters while it runs, its
// stored record after.
func (s *Service) DescribeMapRun(_ context.Context, arn string) (*MapRun, error) {
	if _, err := parseARN(arn, "mapRun"); err != nil {
		return nil, err
	}
	if r, ok := s.eng.e.MapRun(arn); ok {
		info := r.Info()
		return &info, nil
	}
	rec, err := s.st.MapRun(arn)
	if err != nil {
		return nil, notFoundMapRun(arn, err)
	}
	var info MapRun
	if err := json.Unmarshal(rec.Info, &info); err != nil {
		return nil, err
	}
	return &info, nil
}

// ListMapRuns lists the Map Runs an execution started, oldest first.
func (s *Service) ListMapRuns(ctx context.Context, execARN string) ([]MapRun, error) {
	if _, err := s.DescribeExecution(ctx, execARN); err != nil {
		return nil, err
	}
	recs, err := s.st.MapRuns(execARN)
	if err != nil {
		return nil, err
	}
	out := make([]MapRun, 0, len(recs))
	for _, r := range recs {
		info, err := s.DescribeMapRun(ctx, r.ARN)
		if err != nil {
			return nil, err
		}
		out = append(out, *info)
	}
	return out, nil
}

// UpdateMapRun changes a running Map Run's MaxConcurrency and tolerance.
func (s *Service) UpdateMapRun(ctx context.Context, arn string, u sfn.MapRunUpdate) error {
	if _, err := parseARN(arn, "mapRun"); err != nil {
		return err
	}
	r, ok := s.eng.e.MapRun(arn)
	if !ok {
		if _, err := s.st.MapRun(arn); err != nil {
			return notFoundMapRun(arn, err)
		}
		return apiErr(codeValidation, "Map Run '%s' is not running", arn)
	}
	if err := r.Update(u); err != nil {
		var ue *sfn.MapRunUpdateError
		if errors.As(err, &ue) {
			return apiErr(codeValidation, "%s", ue.Msg)
		}
		return err
	}
	s.onMapRun(r.Info())
	return s.st.Flush(ctx)
}

// ListMapRunExecutions lists a Map Run's child executions, newest first.
func (s *Service) ListMapRunExecutions(_ context.Context, mapRunARN, statusFilter string, maxResults int, token string) ([]Execution, string, error) {
	if _, err := parseARN(mapRunARN, "mapRun"); err != nil {
		return nil, "", err
	}
	if _, err := s.st.MapRun(mapRunARN); err != nil {
		return nil, "", notFoundMapRun(mapRunARN, err)
	}
	limit, err := pageSize(maxResults)
	if err != nil {
		return nil, "", err
	}
	after, err := decodeToken(token, "m")
	if err != nil {
		return nil, "", err
	}
	var keep func(*store.Execution) bool
	if statusFilter != "" {
		keep = func(x *store.Execution) bool { return x.Status == statusFilter }
	}
	execs, next, err := s.st.ListMapRunExecutions(mapRunARN, keep, after, limit)
	if next != "" {
		next = encodeToken("m", next)
	}
	return execs, next, err
}

func notFoundMapRun(arn string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return apiErr(codeResourceNotFound, "Resource not found: '%s'", arn)
	}
	return err
}

// Wire shapes of the Map Run operations.

type mapRunARNInput struct {
	MapRunARN string `json:"mapRunArn"`
}

type describeMapRunOutput struct {
	MapRunARN                  string           `json:"mapRunArn"`
	ExecutionARN               string           `json:"executionArn"`
	Status                     string           `json:"status"`
	StartDate                  epoch            `json:"startDate"`
	StopDate                   epoch            `json:"stopDate,omitzero"`
	MaxConcurrency             int64            `json:"maxConcurrency"`
	ToleratedFailurePercentage float64          `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      int64            `json:"toleratedFailureCount"`
	ItemCounts                 sfn.MapRunCounts `json:"itemCounts"`
	ExecutionCounts            sfn.MapRunCounts `json:"executionCounts"`
	RedriveCount               int              `json:"redriveCount"`
}

type listMapRunsInput struct {
	ExecutionARN string `json:"executionArn"`
	MaxResults   int    `json:"maxResults"`
	NextToken    string `json:"nextToken"`
}

type mapRunListItem struct {
	ExecutionARN    string `json:"executionArn"`
	MapRunARN       string `json:"mapRunArn"`
	StateMachineARN string `json:"stateMachineArn"`
	StartDate       epoch  `json:"startDate"`
	StopDate        epoch  `json:"stopDate,omitzero"`
}

type listMapRunsOutput struct {
	MapRuns   []mapRunListItem `json:"mapRuns"`
	NextToken string           `json:"nextToken,omitempty"`
}

type updateMapRunInput struct {
	MapRunARN                  string   `json:"mapRunArn"`
	MaxConcurrency             *int64   `json:"maxConcurrency"`
	ToleratedFailurePercentage *float64 `json:"toleratedFailurePercentage"`
	ToleratedFailureCount      *int64   `json:"toleratedFailureCount"`
}

func (s *Service) apiDescribeMapRun(ctx context.Context, in *mapRunARNInput) (any, error) {
	r, err := s.DescribeMapRun(ctx, in.MapRunARN)
	if err != nil {
		return nil, err
	}
	return &describeMapRunOutput{MapRunARN: r.ARN, ExecutionARN: r.ExecutionARN, Status: r.Status,
		StartDate: epoch(r.StartDate), StopDate: epoch(r.StopDate), MaxConcurrency: r.MaxConcurrency,
		ToleratedFailurePercentage: r.ToleratedFailurePercentage, ToleratedFailureCount: r.ToleratedFailureCount,
		ItemCounts: r.ItemCounts, ExecutionCounts: r.ExecutionCounts}, nil
}

func (s *Service) apiListMapRuns(ctx context.Context, in *listMapRunsInput) (any, error) {
	runs, err := s.ListMapRuns(ctx, in.ExecutionARN)
	if err != nil {
		return nil, err
	}
	out := &listMapRunsOutput{MapRuns: make([]mapRunListItem, 0, len(runs))}
	for _, r := range runs {
		out.MapRuns = append(out.MapRuns, mapRunListItem{ExecutionARN: r.ExecutionARN, MapRunARN: r.ARN,
			StateMachineARN: r.StateMachineARN, StartDate: epoch(r.StartDate), StopDate: epoch(r.StopDate)})
	}
	return out, nil
}

func (s *Service) apiUpdateMapRun(ctx context.Context, in *updateMapRunInput) (any, error) {
	u := sfn.MapRunUpdate{MaxConcurrency: in.MaxConcurrency, ToleratedFailurePercentage: in.ToleratedFailurePercentage,
		ToleratedFailureCount: in.ToleratedFailureCount}
	return emptyOutput{}, s.UpdateMapRun(ctx, in.MapRunARN, u)
}
