package logs

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newStore(t *testing.T, mutate func(*Config)) (*Store, *clock) {
	t.Helper()
	clk := &clock{t: time.Date(2026, 3, 4, 10, 0, 0, 0, time.UTC)}
	cfg := NewDefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Now = clk.Now
	if mutate != nil {
		mutate(cfg)
	}
	s, err := New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, clk
}

func newClient(t *testing.T, s *Store) *cwl.Client {
	t.Helper()
	srv := httptest.NewServer(NewAPI(s))
	t.Cleanup(srv.Close)
	return cwl.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("k", "k", ""),
		BaseEndpoint: aws.String(srv.URL)})
}

func TestFilterPatterns(t *testing.T) {
	jsonLine := `{"level":"error","msg":"resize failed","ms":1250,"ok":false,"tags":["a","b"],"err":{"type":"ImageTooLargeError"}}`
	tests := []struct {
		name, pattern, msg string
		want               bool
	}{
		{"empty matches all", "", "anything", true},
		{"one term", "ERROR", "an ERROR here", true},
		{"terms are case-sensitive", "ERROR", "an error here", false},
		{"all terms", "START RequestId", "START RequestId: x", true},
		{"all terms, one missing", "START Version", "START RequestId: x", false},
		{"quoted phrase", `"Task timed out"`, "2026 Task timed out after 3.00 seconds", true},
		{"quoted phrase in order", `"timed Task"`, "Task timed out", false},
		{"exclusion", "REPORT -Init", "REPORT RequestId: x\tDuration: 1 ms", true},
		{"exclusion hit", "REPORT -Init", "REPORT RequestId: x\tInit Duration: 1 ms", false},
		{"any of", "?START ?END", "END RequestId: x", true},
		{"any of, none", "?START ?END", "REPORT RequestId: x", false},
		{"json string equals", `{ $.level = "error" }`, jsonLine, true},
		{"json string differs", `{ $.level = "info" }`, jsonLine, false},
		{"json bare string", `{ $.level = error }`, jsonLine, true},
		{"json not equals", `{ $.level != "info" }`, jsonLine, true},
		{"json wildcard", `{ $.msg = "resize*" }`, jsonLine, true},
		{"json number", `{ $.ms > 1000 }`, jsonLine, true},
		{"json number false", `{ $.ms < 1000 }`, jsonLine, false},
		{"json nested", `{ $.err.type = "ImageTooLargeError" }`, jsonLine, true},
		{"json index", `{ $.tags[1] = "b" }`, jsonLine, true},
		{"json bool", `{ $.ok = false }`, jsonLine, true},
		{"json and", `{ $.level = "error" && $.ms >= 1250 }`, jsonLine, true},
		{"json or", `{ $.level = "info" || $.ms = 1250 }`, jsonLine, true},
		{"json parens", `{ ($.level = "info" || $.ms = 1) && $.ok = false }`, jsonLine, false},
		{"json exists", `{ $.err EXISTS }`, jsonLine, true},
		{"json not exists", `{ $.nope NOT EXISTS }`, jsonLine, true},
		{"json on a text line", `{ $.level = "error" }`, "START RequestId: x", false},
		{"json missing field", `{ $.nope = "x" }`, jsonLine, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseFilter(tt.pattern)
			if err != nil {
				t.Fatal(err)
			}
			if got := m == nil || m(tt.msg); got != tt.want {
				t.Errorf("%q on %q = %v, want %v", tt.pattern, tt.msg, got, tt.want)
			}
		})
	}
}

func TestFilterPatternErrors(t *testing.T) {
	for _, p := range []string{`[ip, user]`, `%ERR%`, `{ $.a = "x"`, `{ level = 1 }`, `{ $.a ~ 1 }`, `"open`, `{ $.a = 1 ) }`} {
		t.Run(p, func(t *testing.T) {
			var fe *FilterError
			if _, err := ParseFilter(p); !errors.As(err, &fe) {
				t.Fatalf("ParseFilter(%q) = %v, want a FilterError", p, err)
			}
		})
	}
}

// fill writes n events to each of two streams of group, one a second
// apart, alternating streams.
func fill(s *Store, clk *clock, group string, n int) {
	for i := range n {
		for _, st := range []string{"a", "b"} {
			s.Append(group, st, clk.Now(), fmt.Sprintf("%s line %d", st, i))
			clk.Add(time.Second)
		}
	}
}

func TestFilterLogEventsThroughTheSDK(t *testing.T) {
	s, clk := newStore(t, nil)
	c := newClient(t, s)
	ctx := context.Background()
	if err := s.CreateGroup("/g", 0); err != nil {
		t.Fatal(err)
	}
	start := clk.Now()
	fill(s, clk, "/g", 10)

	tests := []struct {
		name  string
		in    cwl.FilterLogEventsInput
		first string
		count int
	}{
		{"all, interleaved by time", cwl.FilterLogEventsInput{}, "a line 0", 20},
		{"one stream", cwl.FilterLogEventsInput{LogStreamNames: []string{"b"}}, "b line 0", 10},
		{"stream prefix", cwl.FilterLogEventsInput{LogStreamNamePrefix: aws.String("a")}, "a line 0", 10},
		{"since", cwl.FilterLogEventsInput{StartTime: aws.Int64(start.Add(10 * time.Second).UnixMilli())}, "a line 5", 10},
		{"until, inclusive", cwl.FilterLogEventsInput{EndTime: aws.Int64(start.Add(2 * time.Second).UnixMilli())}, "a line 0", 3},
		{"pattern", cwl.FilterLogEventsInput{FilterPattern: aws.String(`"line 3"`)}, "a line 3", 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.LogGroupName = aws.String("/g")
			var got []types.FilteredLogEvent
			p := cwl.NewFilterLogEventsPaginator(c, &tt.in, func(o *cwl.FilterLogEventsPaginatorOptions) { o.Limit = 3 })
			for p.HasMorePages() {
				page, err := p.NextPage(ctx)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, page.Events...)
			}
			if len(got) != tt.count || aws.ToString(got[0].Message) != tt.first {
				t.Fatalf("got %d events starting %q, want %d starting %q", len(got), aws.ToString(got[0].Message), tt.count, tt.first)
			}
			for i := 1; i < len(got); i++ {
				if aws.ToInt64(got[i].Timestamp) < aws.ToInt64(got[i-1].Timestamp) || aws.ToString(got[i].EventId) == aws.ToString(got[i-1].EventId) {
					t.Fatalf("events out of order or with a repeated id at %d", i)
				}
			}
		})
	}

	_, err := c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/nope")})
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("unknown group: %v, want ResourceNotFoundException", err)
	}
	_, err = c.FilterLogEvents(ctx, &cwl.FilterLogEventsInput{LogGroupName: aws.String("/g"), FilterPattern: aws.String("[a, b]")})
	var ip *types.InvalidParameterException
	if !errors.As(err, &ip) {
		t.Errorf("unsupported pattern: %v, want InvalidParameterException", err)
	}
}

func TestGetLogEventsTokens(t *testing.T) {
	s, clk := newStore(t, nil)
	c := newClient(t, s)
	ctx := context.Background()
	fill(s, clk, "/g", 5) // Append creates the group
	get := func(in cwl.GetLogEventsInput) *cwl.GetLogEventsOutput {
		t.Helper()
		in.LogGroupName, in.LogStreamName = aws.String("/g"), aws.String("a")
		out, err := c.GetLogEvents(ctx, &in)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	msgs := func(out *cwl.GetLogEventsOutput) (m []string) {
		for _, e := range out.Events {
			m = append(m, aws.ToString(e.Message))
		}
		return m
	}
	tail := get(cwl.GetLogEventsInput{Limit: aws.Int32(2)})
	if got := fmt.Sprint(msgs(tail)); got != "[a line 3 a line 4]" {
		t.Fatalf("default read (the tail) = %s", got)
	}
	back := get(cwl.GetLogEventsInput{Limit: aws.Int32(2), NextToken: tail.NextBackwardToken})
	if got := fmt.Sprint(msgs(back)); got != "[a line 1 a line 2]" {
		t.Fatalf("backward = %s", got)
	}
	head := get(cwl.GetLogEventsInput{Limit: aws.Int32(2), StartFromHead: aws.Bool(true)})
	if got := fmt.Sprint(msgs(head)); got != "[a line 0 a line 1]" {
		t.Fatalf("from head = %s", got)
	}
	// Forward to the end: the token stops changing, as the CLI's paginator
	// expects.
	var all []string
	tok := head.NextForwardToken
	all = append(all, msgs(head)...)
	for range 10 {
		out := get(cwl.GetLogEventsInput{Limit: aws.Int32(2), NextToken: tok})
		all = append(all, msgs(out)...)
		if aws.ToString(out.NextForwardToken) == aws.ToString(tok) {
			break
		}
		tok = out.NextForwardToken
	}
	if len(all) != 5 {
		t.Fatalf("paging forward read %v", all)
	}
	s.Append("/g", "a", clk.Now(), "a line 5")
	if got := fmt.Sprint(msgs(get(cwl.GetLogEventsInput{NextToken: tok}))); got != "[a line 5]" {
		t.Fatalf("the forward token after new events = %s", got)
	}
	if _, err := c.GetLogEvents(ctx, &cwl.GetLogEventsInput{LogGroupName: aws.String("/g"), LogStreamName: aws.String("zz")}); err == nil {
		t.Error("an unknown stream was read")
	}
}

func TestDescribeGroupsAndStreams(t *testing.T) {
	s, clk := newStore(t, nil)
	c := newClient(t, s)
	ctx := context.Background()
	for _, g := range []string{"/aws/lambda/x/trigger", "/aws/lambda/x/validate", "/other"} {
		if err := s.CreateGroup(g, 7); err != nil {
			t.Fatal(err)
		}
	}
	fill(s, clk, "/aws/lambda/x/validate", 2)
	groups, err := c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/"), Limit: aws.Int32(1)})
	if err != nil {
		t.Fatal(err)
	}
	if len(groups.LogGroups) != 1 || aws.ToString(groups.LogGroups[0].LogGroupName) != "/aws/lambda/x/trigger" ||
		aws.ToInt32(groups.LogGroups[0].RetentionInDays) != 7 || groups.NextToken == nil {
		t.Fatalf("first page: %+v", groups)
	}
	groups, err = c.DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String("/aws/lambda/"), NextToken: groups.NextToken})
	if err != nil || len(groups.LogGroups) != 1 || aws.ToString(groups.LogGroups[0].LogGroupName) != "/aws/lambda/x/validate" || groups.NextToken != nil {
		t.Fatalf("second page: %+v %v", groups, err)
	}
	if aws.ToInt64(groups.LogGroups[0].StoredBytes) == 0 {
		t.Error("storedBytes is 0 after events")
	}
	streams, err := c.DescribeLogStreams(ctx, &cwl.DescribeLogStreamsInput{LogGroupName: aws.String("/aws/lambda/x/validate"),
		OrderBy: types.OrderByLastEventTime, Descending: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if len(streams.LogStreams) != 2 || aws.ToString(streams.LogStreams[0].LogStreamName) != "b" || aws.ToInt64(streams.LogStreams[0].LastEventTimestamp) == 0 {
		t.Fatalf("streams: %+v", streams.LogStreams)
	}
}

func TestRetentionAndRestart(t *testing.T) {
	dir := t.TempDir()
	s, clk := newStore(t, func(c *Config) { c.DataDir = dir })
	if err := s.CreateGroup("/g", 1); err != nil {
		t.Fatal(err)
	}
	s.Append("/g", "a", clk.Now(), "old")
	clk.Add(23 * time.Hour)
	s.Append("/g", "a", clk.Now(), "new")
	count := func(s *Store) int {
		t.Helper()
		evs, _, _, err := s.Scan(context.Background(), "/g", Query{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		return len(evs)
	}
	if n := count(s); n != 2 {
		t.Fatalf("within retention: %d events, want 2", n)
	}
	clk.Add(2 * time.Hour) // "old" is now 25 h old
	if n := count(s); n != 1 {
		t.Fatalf("a day's retention still returns %d events, want 1", n)
	}
	if err := s.Expire(); err != nil {
		t.Fatal(err)
	}
	if g := s.Groups("/g")[0]; g.StoredBytes != int64(len("new")+eventOverhead) {
		t.Errorf("after expiry the group stores %d bytes", g.StoredBytes)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, _ := newStore(t, func(c *Config) { c.DataDir = dir; c.Now = clk.Now })
	if n := count(s2); n != 1 {
		t.Fatalf("after a restart: %d events, want 1", n)
	}
	if g := s2.Groups("")[0]; g.RetentionDays != 1 {
		t.Errorf("retention after restart = %d", g.RetentionDays)
	}
}

func TestGroupSizeIsBounded(t *testing.T) {
	s, clk := newStore(t, func(c *Config) { c.MaxGroupBytes = 10_000 })
	for i := range 1000 {
		s.Append("/g", "a", clk.Now(), fmt.Sprintf("line %04d %s", i, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"))
		if i%100 == 0 {
			if err := s.flush(); err != nil {
				t.Fatal(err)
			}
		}
	}
	evs, _, _, err := s.Scan(context.Background(), "/g", Query{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	if g := s.Groups("/g")[0]; g.StoredBytes > 10_000 || len(evs) == 0 || evs[len(evs)-1].Message[:9] != "line 0999" {
		t.Fatalf("group holds %d bytes in %d events, last %q", g.StoredBytes, len(evs), evs[len(evs)-1].Message)
	}
}
