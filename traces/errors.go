package traces

import (
	"errors"
	"fmt"
)

// Sentinel errors wrapped by ParseError; test with errors.Is.
var (
	// ErrEmpty: the file has no header line.
	ErrEmpty = errors.New("empty file")
	// ErrHeader: the header is not the one the format requires.
	ErrHeader = errors.New("wrong header")
	// ErrFields: a line has more or fewer fields than the header (a truncated
	// last line is one of these).
	ErrFields = errors.New("wrong number of fields")
	// ErrValue: a field does not hold a valid value (non-numeric, negative,
	// out of range, a duration longer than its end timestamp).
	ErrValue = errors.New("invalid value")
	// ErrCompression: a .gz file that is not gzip, or a gzip stream that is
	// corrupt or cut short.
	ErrCompression = errors.New("bad gzip stream")
)

// ParseError is an error at a place in an input file. Line and Column are
// 1-based; Column counts comma-separated fields in CSV files and characters in
// JSON files. A file-level error (for instance a .gz file that is not gzip) is
// reported at line 1, column 1.
type ParseError struct {
	File   string // the path as given
	Line   int
	Column int
	Err    error // wraps one of ErrEmpty, ErrHeader, ErrFields, ErrValue, ErrCompression
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("traces: %s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// kindError attaches a detail message to a sentinel so that errors.Is works
// and the message reads "invalid value: count "x" is not ...".
type kindError struct {
	kind error
	msg  string
}

func (e *kindError) Error() string { return e.kind.Error() + ": " + e.msg }
func (e *kindError) Unwrap() error { return e.kind }

func perr(file string, line, col int, kind error, format string, args ...any) *ParseError {
	return &ParseError{File: file, Line: line, Column: col, Err: &kindError{kind: kind, msg: fmt.Sprintf(format, args...)}}
}

func errorf(format string, args ...any) error {
	return fmt.Errorf("traces: "+format, args...)
}
