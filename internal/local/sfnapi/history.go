package sfnapi

import (
	"context"
	"encoding/json"
	"strconv"
)

// ExecutionHistory returns up to maxResults (0 = 100) events of an
// execution in id order, or newest first when reverse, continuing from
// token. next is "" on the last page. Events recorded so far are
// committed before reading, so a running execution's history is current.
func (s *Service) ExecutionHistory(ctx context.Context, arn string, reverse bool, maxResults int, token string) (events []HistoryEvent, next string, err error) {
	if _, err := s.DescribeExecution(ctx, arn); err != nil {
		return nil, "", err
	}
	limit, err := pageSize(maxResults)
	if err != nil {
		return nil, "", err
	}
	kind := "f"
	if reverse {
		kind = "r"
	}
	pos, err := decodeToken(token, kind)
	if err != nil {
		return nil, "", err
	}
	var from int64
	if pos != "" {
		if from, err = strconv.ParseInt(pos, 10, 64); err != nil || from < 0 {
			return nil, "", apiErr(codeInvalidToken, "Invalid Token: '%s'", token)
		}
	}
	if err := s.st.Flush(ctx); err != nil {
		return nil, "", err
	}
	events, err = s.st.Events(arn, reverse, from, limit+1)
	if err != nil {
		return nil, "", err
	}
	if len(events) > limit {
		events = events[:limit]
		next = encodeToken(kind, strconv.FormatInt(events[limit-1].ID, 10))
	}
	return events, next, nil
}

// stripExecutionData removes input and output payloads from event details
// (GetExecutionHistory with includeExecutionData=false).
func stripExecutionData(d json.RawMessage) json.RawMessage {
	if len(d) == 0 {
		return d
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(d, &m) != nil {
		return d
	}
	n := len(m)
	for _, k := range []string{"input", "output", "inputDetails", "outputDetails"} {
		delete(m, k)
	}
	if len(m) == n {
		return d
	}
	b, err := json.Marshal(m)
	if err != nil {
		return d
	}
	return b
}
