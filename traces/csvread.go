package traces

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
)

// lineReader reads the lines of a possibly gzip-compressed text file without
// copying them when they fit its buffer. It counts lines for error messages.
type lineReader struct {
	name string
	br   *bufio.Reader
	gz   *gzip.Reader
	line int    // number of the line last returned
	long []byte // holds lines longer than the buffer
	err  error  // sticky non-EOF read error, reported by Next's caller
}

const readBuffer = 1 << 20

// newLineReader wraps r. If the stream starts with the gzip magic number it is
// decompressed; a name ending in ".gz" must be gzip.
func newLineReader(r io.Reader, name string) (*lineReader, error) {
	br := bufio.NewReaderSize(r, readBuffer)
	lr := &lineReader{name: name, br: br}
	magic, _ := br.Peek(2)
	isGz := len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b
	if strings.HasSuffix(strings.ToLower(name), ".gz") && !isGz {
		return nil, perr(name, 1, 1, ErrCompression, "the file name ends in .gz but the file is not gzip")
	}
	if isGz {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, perr(name, 1, 1, ErrCompression, "%v", err)
		}
		gz.Multistream(true)
		lr.gz = gz
		lr.br = bufio.NewReaderSize(gz, readBuffer)
	}
	return lr, nil
}

// next returns the next line without its line terminator ("\n" or "\r\n"),
// or ok=false at the end of input or on a read error (see err). The slice is
// valid until the next call.
func (lr *lineReader) next() (line []byte, ok bool) {
	lr.line++
	b, err := lr.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		lr.long = append(lr.long[:0], b...)
		for err == bufio.ErrBufferFull {
			b, err = lr.br.ReadSlice('\n')
			lr.long = append(lr.long, b...)
		}
		b = lr.long
	}
	if err != nil && err != io.EOF {
		lr.err = err
		if lr.gz != nil || errors.Is(err, gzip.ErrChecksum) || errors.Is(err, gzip.ErrHeader) {
			lr.err = &kindError{kind: ErrCompression, msg: err.Error()}
		}
		return nil, false
	}
	if len(b) == 0 && err == io.EOF {
		return nil, false
	}
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
	}
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	if lr.line == 1 {
		b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	}
	return b, true
}

// readErr converts a read error into a ParseError at the current line.
func (lr *lineReader) readErr() error {
	if lr.err == nil {
		return nil
	}
	var ke *kindError
	if errors.As(lr.err, &ke) {
		return &ParseError{File: lr.name, Line: lr.line, Column: 1, Err: ke}
	}
	return errorf("%s:%d: %v", lr.name, lr.line, lr.err)
}

// openLines opens a file for line reading. The returned close function closes
// the file.
func openLines(path string) (*lineReader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, errorf("%v", err)
	}
	lr, err := newLineReader(f, path)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return lr, f.Close, nil
}

// splitFields splits a CSV line on commas into dst (reused). Fields may be
// enclosed in double quotes, which are removed; quoted fields may not contain
// commas, quotes or line breaks (no Azure trace file needs them).
func splitFields(dst [][]byte, line []byte) [][]byte {
	dst = dst[:0]
	for {
		i := bytes.IndexByte(line, ',')
		if i < 0 {
			dst = append(dst, unquote(line))
			return dst
		}
		dst = append(dst, unquote(line[:i]))
		line = line[i+1:]
	}
}

func unquote(f []byte) []byte {
	if n := len(f); n >= 2 && f[0] == '"' && f[n-1] == '"' {
		return f[1 : n-1]
	}
	return f
}

// headerFields splits a header line into trimmed strings.
func headerFields(line []byte) []string {
	fs := splitFields(nil, line)
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = strings.TrimSpace(string(f))
	}
	return out
}

// quoteField renders a field for an error message, shortened if long.
func quoteField(f []byte) string {
	const max = 40
	if len(f) > max {
		return strconv.Quote(string(f[:max])) + "…"
	}
	return strconv.Quote(string(f))
}
