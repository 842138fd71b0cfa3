package runtimeapi

import (
	"bytes"
	"sync"

	"go.uber.org/zap"
)

// maxLine caps one logged line; a longer one is logged in pieces.
const maxLine = 64 << 10

// lineLogger is a process's stdout or stderr: it logs one entry per line.
type lineLogger struct {
	log    *zap.Logger
	stream string
	sink   func(line []byte) // also gets every line, when set

	mu  sync.Mutex
	buf []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.emit(l.buf[:i])
		l.buf = l.buf[i+1:]
	}
	for len(l.buf) >= maxLine {
		l.emit(l.buf[:maxLine])
		l.buf = l.buf[maxLine:]
	}
	if len(l.buf) == 0 {
		l.buf = nil // let a large buffer go
	}
	return len(p), nil
}

// flush logs a last line without a newline.
func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.emit(l.buf)
		l.buf = nil
	}
}

func (l *lineLogger) emit(line []byte) {
	line = bytes.TrimSuffix(line, []byte{'\r'})
	l.log.Info("process output", zap.String("stream", l.stream), zap.ByteString("line", line))
	if l.sink != nil {
		l.sink(line)
	}
}
