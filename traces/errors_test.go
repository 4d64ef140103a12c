package traces

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

const inv2019 = "HashOwner,HashApp,HashFunction,Trigger,1,2,3\n"

// TestBadInput: every malformed input is an error naming file, line and
// column, and no trace is returned.
func TestBadInput(t *testing.T) {
	var gz bytes.Buffer
	z := gzip.NewWriter(&gz)
	z.Write([]byte(inv2019 + "o,a,f,http,1,2,3\no,a,g,http,4,5,6\n"))
	z.Close()
	cut := gz.Bytes()[:gz.Len()-12] // a gzip stream cut short
	for _, c := range []struct {
		name, file, content string
		line, col           int
		kind                error
	}{
		{"empty", "inv.csv", "", 1, 1, ErrEmpty},
		{"wrong header", "inv.csv", "Owner,App,Function,Trigger,1\no,a,f,http,1\n", 1, 1, ErrHeader},
		{"no minutes", "inv.csv", "HashOwner,HashApp,HashFunction,Trigger\n", 1, 5, ErrHeader},
		{"minute gap", "inv.csv", "HashOwner,HashApp,HashFunction,Trigger,1,2,4\n", 1, 7, ErrHeader},
		{"minute out of day", "inv.csv", "HashOwner,HashApp,HashFunction,Trigger,1440,1441\n", 1, 6, ErrHeader},
		{"missing column", "inv.csv", inv2019 + "o,a,f,http,1,2,3\no,a,f2,http,1,2\n", 3, 7, ErrFields},
		{"missing id field", "inv.csv", inv2019 + "o,a\n", 2, 3, ErrFields},
		{"extra column", "inv.csv", inv2019 + "o,a,f,http,1,2,3,4\n", 2, 8, ErrFields},
		{"non-numeric count", "inv.csv", inv2019 + "o,a,f,http,1,x,3\n", 2, 6, ErrValue},
		{"float count", "inv.csv", inv2019 + "o,a,f,http,1,2.5,3\n", 2, 6, ErrValue},
		{"negative count", "inv.csv", inv2019 + "o,a,f,http,1,2,-3\n", 2, 7, ErrValue},
		{"huge count", "inv.csv", inv2019 + "o,a,f,http,99999999999,2,3\n", 2, 5, ErrValue},
		{"empty count", "inv.csv", inv2019 + "o,a,f,http,1,,3\n", 2, 6, ErrValue},
		{"empty hash", "inv.csv", inv2019 + "o,,f,http,1,2,3\n", 2, 2, ErrValue},
		{"truncated last line", "inv.csv", inv2019 + "o,a,f,http,1,2,3\no,a,g,http,1,", 3, 6, ErrValue},
		{"truncated last line mid-field", "inv.csv", inv2019 + "o,a,f,http,1,2,3\no,a,g,http,1", 3, 6, ErrFields},
		{"gz not gzip", "inv.csv.gz", inv2019 + "o,a,f,http,1,2,3\n", 1, 1, ErrCompression},
		{"gzip cut short", "inv.csv.gz", string(cut), 4, 1, ErrCompression}, // at the line being read
		{"durations negative", "dur.csv", strings.Join(durationsHeader, ",") + "\no,a,f,-3,10,1,2,0,1,2,3,4,5,6\n", 2, 4, ErrValue},
		{"durations missing column", "dur.csv", strings.Join(durationsHeader[:13], ",") + "\n", 1, 14, ErrHeader},
		{"durations extra column", "dur.csv", strings.Join(durationsHeader, ",") + ",Extra\n", 1, 15, ErrHeader},
		{"memory non-numeric", "mem.csv", strings.Join(memoryAppHeader, ",") + "\no,a,10,big,1,2,3,4,5,6,7,8\n", 2, 4, ErrValue},
		{"memory truncated", "mem.csv", strings.Join(memoryAppHeader, ",") + "\no,a,10,1,1,2,3,4,5,6", 2, 11, ErrFields},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, c.file)
			writeRaw(t, path, []byte(c.content))
			// The durations and memory cases need an invocations file too.
			paths := []string{path}
			if !strings.HasPrefix(c.file, "inv") {
				paths = append([]string{writeFile(t, dir, "inv.csv", []byte(inv2019+"o,a,f,http,1,2,3\n"))}, path)
			}
			tr, err := LoadAzure2019(paths...)
			checkParseError(t, tr != nil, err, path, c.line, c.col, c.kind)
		})
	}
}

func TestBadInput2021(t *testing.T) {
	const head = "app,func,end_timestamp,duration\n"
	for _, c := range []struct {
		name, content string
		line, col     int
		kind          error
	}{
		{"empty", "", 1, 1, ErrEmpty},
		{"wrong header", "app,function,end_timestamp,duration\n", 1, 2, ErrHeader},
		{"missing header column", "app,func,end_timestamp\n", 1, 4, ErrHeader},
		{"extra header column", "app,func,end_timestamp,duration,x\n", 1, 5, ErrHeader},
		{"duration beyond end", head + "a,f,10.5,1\na,f,2.0,3.5\n", 3, 4, ErrValue},
		{"non-numeric end", head + "a,f,ten,1\n", 2, 3, ErrValue},
		{"negative duration", head + "a,f,10,-1\n", 2, 4, ErrValue},
		{"nan", head + "a,f,NaN,1\n", 2, 3, ErrValue},
		{"missing column", head + "a,f,10\n", 2, 4, ErrFields},
		{"extra column", head + "a,f,10,1,2\n", 2, 5, ErrFields},
		{"truncated last line", head + "a,f,10,1\na,f", 3, 3, ErrFields},
		{"empty app", head + ",f,10,1\n", 2, 1, ErrValue},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "inv2021.csv")
			writeRaw(t, path, []byte(c.content))
			tr, err := LoadAzure2021(path)
			checkParseError(t, tr != nil, err, path, c.line, c.col, c.kind)
		})
	}
}

func checkParseError(t *testing.T, gotTrace bool, err error, path string, line, col int, kind error) {
	t.Helper()
	if gotTrace {
		t.Error("a trace was returned with the error")
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v, want a *ParseError", err)
	}
	if pe.File != path || pe.Line != line || pe.Column != col || !errors.Is(err, kind) {
		t.Errorf("err = %v\nwant at %s:%d:%d wrapping %q", err, path, line, col, kind)
	}
	if prefix := fmt.Sprintf("traces: %s:%d:%d: ", path, line, col); !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("message %q does not start with %q", err.Error(), prefix)
	}
}

func writeRaw(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := osWriteFile(path, b); err != nil {
		t.Fatal(err)
	}
}

// TestNothingHalfLoaded: a good file followed by a bad one gives no trace.
func TestNothingHalfLoaded(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "a.csv", []byte(inv2019+"o,a,f,http,1,2,3\n"))
	bad := writeFile(t, dir, "b.csv", []byte(inv2019+"o,a,f,http,1,2,x\n"))
	if tr, err := LoadAzure2019(good, bad); err == nil || tr != nil {
		t.Fatalf("trace %v, err %v; want no trace and an error", tr, err)
	}
}
