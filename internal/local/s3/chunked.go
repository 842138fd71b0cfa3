package s3

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// aws-chunked is the body framing SigV4 streaming uploads use (the
// x-amz-content-sha256 value starts with "STREAMING-"):
//
//	<hex size>[;chunk-signature=<sig>]\r\n<data>\r\n ... 0[;chunk-signature=<sig>]\r\n
//	[<trailer-name>:<value>\r\n ...]\r\n
//
// Every variant (signed, unsigned, with or without trailers) is decoded
// here; the trailers (a trailing checksum) are kept for the handler.

const maxChunkLine = 4096

// ChunkFormatError reports a malformed aws-chunked body.
type ChunkFormatError struct{ Detail string }

func (e *ChunkFormatError) Error() string { return "aws-chunked: " + e.Detail }

type chunkedReader struct {
	br        *bufio.Reader
	remaining int64 // bytes left in the current chunk
	done      bool
	err       error
	// trailers are the trailer fields after the final chunk, by lower-case
	// name; complete once Read has returned io.EOF.
	trailers map[string]string
}

func newChunkedReader(r io.Reader) *chunkedReader {
	return &chunkedReader{br: bufio.NewReaderSize(r, 64<<10)}
}

func (c *chunkedReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.done {
		return 0, io.EOF
	}
	if c.remaining == 0 {
		if err := c.nextChunk(); err != nil {
			c.err = err
			return 0, err
		}
		if c.done {
			return 0, io.EOF
		}
	}
	if int64(len(p)) > c.remaining {
		p = p[:c.remaining]
	}
	n, err := c.br.Read(p)
	c.remaining -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if err != nil {
		c.err = err
		return n, err
	}
	if c.remaining == 0 {
		if err := c.expectCRLF(); err != nil {
			c.err = err
			return n, err
		}
	}
	return n, nil
}

func (c *chunkedReader) readLine() (string, error) {
	line, err := c.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(line) > maxChunkLine {
		return "", &ChunkFormatError{"chunk header line too long"}
	}
	if err == io.EOF {
		return "", io.ErrUnexpectedEOF
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

func (c *chunkedReader) nextChunk() error {
	line, err := c.readLine()
	if err != nil {
		return err
	}
	sizeHex, _, _ := strings.Cut(line, ";")
	size, err := strconv.ParseInt(strings.TrimSpace(sizeHex), 16, 64)
	if err != nil || size < 0 {
		return &ChunkFormatError{fmt.Sprintf("bad chunk size %q", sizeHex)}
	}
	if size > 0 {
		c.remaining = size
		return nil
	}
	// Final chunk: read the trailers up to the blank line (or EOF).
	c.done = true
	for {
		line, err := c.br.ReadSlice('\n')
		if err == io.EOF && len(strings.TrimSpace(string(line))) == 0 {
			return nil
		}
		if err == io.EOF { // a last trailer without its CRLF
			line = append(append([]byte(nil), line...), '\n')
			err = nil
		}
		if err != nil {
			if errors.Is(err, bufio.ErrBufferFull) {
				return &ChunkFormatError{"trailer line too long"}
			}
			return io.ErrUnexpectedEOF
		}
		field := strings.TrimRight(string(line), "\r\n")
		if field == "" {
			return nil
		}
		if name, value, ok := strings.Cut(field, ":"); ok {
			if c.trailers == nil {
				c.trailers = map[string]string{}
			}
			c.trailers[strings.ToLower(strings.TrimSpace(name))] = strings.TrimSpace(value)
		}
	}
}

func (c *chunkedReader) expectCRLF() error {
	var b [2]byte
	if _, err := io.ReadFull(c.br, b[:]); err != nil {
		return io.ErrUnexpectedEOF
	}
	if b != [2]byte{'\r', '\n'} {
		return &ChunkFormatError{"chunk data not followed by CRLF"}
	}
	return nil
}
