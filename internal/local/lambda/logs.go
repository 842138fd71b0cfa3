package lambda

import (
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap/zapcore"

	"github.com/imgflow/imgflow/layers/common/logx"
)

// tailSize is how much of an invocation's log Invoke returns with
// LogType=Tail: Lambda returns the last 4 KB.
const tailSize = 4 << 10

// LogSink receives every line of every invocation's log, with the log
// group and stream Lambda would write it to (CloudWatch Logs locally).
type LogSink interface {
	Append(group, stream string, t time.Time, message string)
}

// invocationLogs keeps the end of each running invocation's log, and hands
// every line to the sink. Only the last tailSize bytes are kept, so a
// chatty handler costs no more memory than a quiet one.
type invocationLogs struct {
	sink LogSink // nil: none
	now  func() time.Time

	mu   sync.Mutex
	runs map[string]*run // by request id, while the invocation runs
}

// run is one running invocation's log.
type run struct {
	buf           []byte
	group, stream string
}

func (l *invocationLogs) begin(requestID, group, stream string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.runs == nil {
		l.runs = map[string]*run{}
	}
	l.runs[requestID] = &run{group: group, stream: stream}
}

// add appends one line. Lines of an invocation that is not running (it
// ended, or the line was written during init) are dropped: they belong to
// no invocation's LogResult.
func (l *invocationLogs) add(requestID string, line []byte) {
	l.mu.Lock()
	r, ok := l.runs[requestID]
	if !ok {
		l.mu.Unlock()
		return
	}
	buf := append(r.buf, line...)
	if len(line) == 0 || line[len(line)-1] != '\n' {
		buf = append(buf, '\n')
	}
	if len(buf) > 2*tailSize {
		buf = append(buf[:0:0], buf[len(buf)-tailSize:]...)
	}
	r.buf = buf
	group, stream := r.group, r.stream
	l.mu.Unlock()
	if l.sink != nil && group != "" {
		l.sink.Append(group, stream, l.now(), strings.TrimRight(string(line), "\n"))
	}
}

// end forgets the invocation and returns the last tailSize bytes of its log.
func (l *invocationLogs) end(requestID string) []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.runs[requestID]
	delete(l.runs, requestID)
	if r == nil {
		return nil
	}
	buf := r.buf
	if len(buf) > tailSize {
		buf = buf[len(buf)-tailSize:]
	}
	return buf
}

// LogLine adds a line to the log of the running invocation requestID, for
// runtimes that see a function's output as text (a bootstrap's stdout).
func (s *Service) LogLine(requestID string, line []byte) { s.logs.add(requestID, line) }

// LogCore returns a zap core that copies every entry logged through a logger
// carrying the invocation's request id (logx.ForInvocation adds it) into
// that invocation's log, encoded by enc. Tee it with the function's own
// core so in-process handlers get LogType=Tail as a bootstrap's stdout does.
func (s *Service) LogCore(enc zapcore.Encoder, level zapcore.LevelEnabler) zapcore.Core {
	return &invocationCore{LevelEnabler: level, enc: enc, logs: &s.logs}
}

type invocationCore struct {
	zapcore.LevelEnabler
	enc       zapcore.Encoder
	logs      *invocationLogs
	requestID string
}

func (c *invocationCore) With(fields []zapcore.Field) zapcore.Core {
	clone := *c
	clone.enc = c.enc.Clone()
	for _, f := range fields {
		f.AddTo(clone.enc)
		if f.Key == logx.KeyRequestID && f.Type == zapcore.StringType {
			clone.requestID = f.String
		}
	}
	return &clone
}

func (c *invocationCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.requestID != "" && c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

func (c *invocationCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	buf, err := c.enc.EncodeEntry(e, fields)
	if err != nil {
		return err
	}
	c.logs.add(c.requestID, buf.Bytes())
	buf.Free()
	return nil
}

func (c *invocationCore) Sync() error { return nil }

// The platform lines Lambda writes around every invocation, which log tools
// parse: START, END and REPORT (durations in milliseconds; billing rounds
// up to the millisecond).
func startLine(requestID, version string) []byte {
	return fmt.Appendf(nil, "START RequestId: %s Version: %s", requestID, version)
}

func endLine(requestID string) []byte { return fmt.Appendf(nil, "END RequestId: %s", requestID) }

// Max Memory Used is what memPeak measured; Init Duration appears on the
// first invocation an instance serves.
func reportLine(requestID string, d time.Duration, memoryMB, usedMB int, init time.Duration) []byte {
	ms := float64(d) / float64(time.Millisecond)
	line := fmt.Appendf(nil, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %d ms\tMemory Size: %d MB\tMax Memory Used: %d MB\t",
		requestID, ms, int64(math.Ceil(ms)), memoryMB, usedMB)
	if init > 0 {
		line = fmt.Appendf(line, "Init Duration: %.2f ms\t", float64(init)/float64(time.Millisecond))
	}
	return line
}
