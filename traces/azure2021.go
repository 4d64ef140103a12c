package traces

import (
	"math"
	"path/filepath"
	"slices"
	"strings"
)

var azure2021Header = []string{"app", "func", "end_timestamp", "duration"}

// LoadAzure2021 reads the Azure Functions 2021 invocation trace
// (app,func,end_timestamp,duration; times in seconds since the trace's origin,
// rows in any order; .csv or .csv.gz). Each invocation starts at
// end_timestamp − duration; the calls are sorted by start on load.
func LoadAzure2021(path string) (*Trace, error) {
	lr, closeFn, err := openLines(path)
	if err != nil {
		return nil, err
	}
	defer closeFn()
	return parseAzure2021(lr)
}

func parseAzure2021(lr *lineReader) (*Trace, error) {
	head, ok := lr.next()
	if !ok {
		if err := lr.readErr(); err != nil {
			return nil, err
		}
		return nil, perr(lr.name, 1, 1, ErrEmpty, "no header line")
	}
	h := headerFields(head)
	for i, w := range azure2021Header {
		if i >= len(h) {
			return nil, perr(lr.name, 1, i+1, ErrHeader, "missing column %q (want %s)", w, strings.Join(azure2021Header, ","))
		}
		if h[i] != w {
			return nil, perr(lr.name, 1, i+1, ErrHeader, "column %q, want %q (header %s)", h[i], w, strings.Join(azure2021Header, ","))
		}
	}
	if len(h) > len(azure2021Header) {
		return nil, perr(lr.name, 1, len(azure2021Header)+1, ErrHeader, "unexpected column %q", h[len(azure2021Header)])
	}
	t := &Trace{Source: SourceAzure2021, Kind: PerInvocation, Origin: []string{filepath.Base(lr.name)}}
	index := map[string]int32{}
	apps := map[string]string{}
	r := &rowReader{lr: lr, header: h}
	for r.next() {
		app, fn := r.fields[0], r.fields[1]
		end, dur := r.float(2), r.float(3)
		if len(app) == 0 || len(fn) == 0 {
			col := 1
			if len(app) > 0 {
				col = 2
			}
			return nil, perr(lr.name, lr.line, col, ErrValue, "empty %s", h[col-1])
		}
		if r.err != nil {
			return nil, r.err
		}
		if dur > end {
			return nil, perr(lr.name, lr.line, 4, ErrValue, "duration %s is larger than end_timestamp %s: the call would start before the trace",
				quoteField(r.fields[3]), quoteField(r.fields[2]))
		}
		if end > 1e12 {
			return nil, perr(lr.name, lr.line, 3, ErrValue, "end_timestamp %s is out of range", quoteField(r.fields[2]))
		}
		endUs, durUs := int64(math.Round(end*1e6)), int64(math.Round(dur*1e6))
		key := string(app) + "/" + string(fn)
		id, ok := index[key]
		if !ok {
			if len(t.Functions) >= math.MaxInt32 {
				return nil, perr(lr.name, lr.line, 1, ErrValue, "too many functions")
			}
			id = int32(len(t.Functions))
			index[key] = id
			a, ok := apps[string(app)]
			if !ok {
				a = string(app)
				apps[a] = a
			}
			t.Functions = append(t.Functions, Function{App: a, Name: string(fn)})
		}
		t.Functions[id].Invocations++
		t.Calls = append(t.Calls, Call{Start: endUs - durUs, Duration: durUs, Func: id})
	}
	if r.err != nil {
		return nil, r.err
	}
	slices.SortStableFunc(t.Calls, func(a, b Call) int {
		switch {
		case a.Start < b.Start:
			return -1
		case a.Start > b.Start:
			return 1
		}
		return 0
	})
	if n := len(t.Calls); n > 0 {
		t.Minutes = int(t.Calls[n-1].Start/MinuteMicros) + 1
	}
	return t, nil
}
