package traces

import (
	"encoding/binary"
	"math"
	"path/filepath"
	"slices"
)

// Kind says how a trace records invocations.
type Kind uint8

const (
	// PerMinute traces hold invocation counts per function per minute (Azure
	// 2019, synthetic).
	PerMinute Kind = iota + 1
	// PerInvocation traces hold every invocation's start and duration (Azure
	// 2021).
	PerInvocation
)

func (k Kind) String() string {
	switch k {
	case PerMinute:
		return "per-minute"
	case PerInvocation:
		return "per-invocation"
	}
	return "unknown"
}

// Sources of traces, as recorded in Trace.Source and the Parquet cache.
const (
	SourceAzure2019 = "azure2019"
	SourceAzure2021 = "azure2021"
	SourceSynthetic = "synthetic"
)

// MinuteMicros is one minute in microseconds.
const MinuteMicros = 60_000_000

// Trace is a loaded workload trace: a list of functions and when each was
// invoked. A per-minute trace keeps each function's counts run-length encoded
// (see Function.Counts); a per-invocation trace keeps Calls sorted by start.
// A Trace is read-only once loaded and may be shared by several Sources.
type Trace struct {
	Source    string
	Kind      Kind
	Functions []Function
	// FirstMinute is the minute of the first column counted from midnight of
	// day 1 (0-based: column "480" of day 1 is minute 479; per-minute traces
	// only). Minutes is the number of minutes covered; for a per-invocation
	// trace, from its origin to the minute of the last start.
	FirstMinute int
	Minutes     int
	// Calls are the invocations of a per-invocation trace, sorted by Start
	// (ties in file order).
	Calls []Call
	// Origin lists the files the trace was read from (base names), or the
	// generator settings of a synthetic trace.
	Origin []string
}

// Call is one invocation of a per-invocation trace. Times are microseconds
// since the trace's origin.
type Call struct {
	Start    int64
	Duration int64
	Func     int32 // index into Trace.Functions
}

// Function is one function of a trace. In Azure traces Owner, App and Name are
// anonymised hashes; Azure 2021 has no owner and no trigger.
type Function struct {
	Owner, App, Name string
	Trigger          string
	Invocations      int64 // total in the trace
	Duration         *DurationStats
	Memory           *MemoryStats

	counts []byte // run-length encoded minute counts (per-minute traces)
}

// DurationPercentiles are the percentiles of the Azure 2019 durations file.
var DurationPercentiles = [7]float64{0, 1, 25, 50, 75, 99, 100}

// MemoryPercentiles are the percentiles of the Azure 2019 memory file.
var MemoryPercentiles = [8]float64{1, 5, 25, 50, 75, 95, 99, 100}

// DurationStats is a row of the Azure 2019 durations file (milliseconds;
// percentiles are of 30-second averages, at DurationPercentiles). When several
// day files are merged, Count and the extremes are summed and taken over days
// and the averages and percentiles are count-weighted means of the days'.
type DurationStats struct {
	Count       int64
	AverageMs   float64
	MinimumMs   float64
	MaximumMs   float64
	Percentiles [7]float64
}

// MemoryStats is a row of the Azure 2019 memory file (allocated MB,
// percentiles at MemoryPercentiles). PerApp is true when it came from the raw
// per-application file, and so describes the function's whole app. Several
// days merge as sample-weighted means.
type MemoryStats struct {
	Samples     int64
	AverageMB   float64
	Percentiles [8]float64
	PerApp      bool
}

// Key identifies a function across files: owner, app and function hash.
func (f *Function) Key() string { return f.Owner + "/" + f.App + "/" + f.Name }

// Counts returns the function's per-minute invocation counts (nil for a
// per-invocation trace). It decodes the compact form and allocates.
func (t *Trace) Counts(fn int) []uint32 {
	if t.Kind != PerMinute {
		return nil
	}
	out := make([]uint32, t.Minutes)
	c := newCursor(t.Functions[fn].counts)
	for m := range out {
		out[m] = c.next()
	}
	return out
}

// Invocations is the total number of invocations in the trace.
func (t *Trace) Invocations() int64 {
	var n int64
	for i := range t.Functions {
		n += t.Functions[i].Invocations
	}
	return n
}

// NewPerMinute builds a per-minute trace from dense counts, one slice of
// length minutes per function (counts[i] belongs to fns[i]; the functions'
// Invocations are recomputed).
func NewPerMinute(source string, firstMinute, minutes int, fns []Function, counts [][]uint32) (*Trace, error) {
	if len(fns) != len(counts) {
		return nil, errorf("%d functions but %d count series", len(fns), len(counts))
	}
	if minutes < 0 || firstMinute < 0 {
		return nil, errorf("minutes %d and first minute %d must not be negative", minutes, firstMinute)
	}
	t := &Trace{Source: source, Kind: PerMinute, FirstMinute: firstMinute, Minutes: minutes, Functions: slices.Clone(fns)}
	for i := range t.Functions {
		if len(counts[i]) != minutes {
			return nil, errorf("function %d has %d minutes, want %d", i, len(counts[i]), minutes)
		}
		var e rleEncoder
		for _, c := range counts[i] {
			e.add(c)
		}
		t.Functions[i].counts = e.buf
		t.Functions[i].Invocations = e.total
	}
	return t, nil
}

// Subset returns a trace holding only the functions at idx, in that order.
// Function data is shared, not copied; a per-invocation trace keeps only
// their calls, and its Minutes end at the last of them.
func (t *Trace) Subset(idx []int) *Trace {
	out := *t
	out.Functions = make([]Function, len(idx))
	remap := make([]int32, len(t.Functions))
	for i := range remap {
		remap[i] = -1
	}
	for j, i := range idx {
		out.Functions[j] = t.Functions[i]
		remap[i] = int32(j)
	}
	if t.Kind == PerInvocation {
		out.Calls = nil
		for _, c := range t.Calls {
			if r := remap[c.Func]; r >= 0 {
				c.Func = r
				out.Calls = append(out.Calls, c)
			}
		}
		out.Minutes = 0
		if n := len(out.Calls); n > 0 {
			out.Minutes = int(out.Calls[n-1].Start/MinuteMicros) + 1
		}
	}
	return &out
}

// Run-length encoding of minute counts, a sequence of unsigned LEB128
// varints ("events"): an even value 2c (c ≥ 1) is one minute with c
// invocations, an odd value 2z+1 (z ≥ 1) is a run of z minutes without any.
// Zero minutes after the last event are implicit (the trace's Minutes gives
// the length). A busy function costs one or two bytes a minute, an idle one
// nothing.
type rleEncoder struct {
	buf   []byte
	zeros uint64
	total int64
}

func (e *rleEncoder) add(c uint32) {
	if c == 0 {
		e.zeros++
		return
	}
	if e.zeros > 0 {
		e.buf = binary.AppendUvarint(e.buf, e.zeros<<1|1)
		e.zeros = 0
	}
	e.buf = binary.AppendUvarint(e.buf, uint64(c)<<1)
	e.total += int64(c)
}

func (e *rleEncoder) addZeros(n int) {
	e.zeros += uint64(n)
}

// cursor walks run-length encoded counts minute by minute. It never fails:
// malformed input (which checkRLE rejects on load) reads as zeros.
type cursor struct {
	b     []byte
	zeros uint64
}

func newCursor(b []byte) cursor { return cursor{b: b} }

func (c *cursor) next() uint32 {
	if c.zeros > 0 {
		c.zeros--
		return 0
	}
	if len(c.b) == 0 {
		return 0
	}
	var t uint64
	if c.b[0] < 0x80 {
		t = uint64(c.b[0])
		c.b = c.b[1:]
	} else {
		v, n := binary.Uvarint(c.b)
		if n <= 0 {
			c.b = nil
			return 0
		}
		t = v
		c.b = c.b[n:]
	}
	if t&1 != 0 {
		if z := t >> 1; z > 0 {
			c.zeros = z - 1
		}
		return 0
	}
	return uint32(min(t>>1, math.MaxUint32))
}

// checkRLE validates an encoded series against its length and returns its
// total, or ok=false if it is malformed. One-byte events, by far the most
// common, are checked eight at a time (SWAR).
func checkRLE(b []byte, minutes int) (total int64, ok bool) {
	const (
		ones  = 0x0101010101010101
		highs = 0x8080808080808080
		low7  = 0x7f7f7f7f7f7f7f7f
	)
	// For one-byte events x: half = x>>1 is a count (x even) or a zero run
	// (x odd). Summing halves over all events and over odd events gives
	// both the invocations and the minutes.
	var sumHalf, sumOddHalf, nOdd, nTok uint64
	bad := false
	limit := uint64(minutes)
	i := 0
	for i < len(b) {
		if i+8 <= len(b) {
			w := binary.LittleEndian.Uint64(b[i:])
			if w&highs == 0 {
				half := (w >> 1) & low7
				odd := w & ones
				oddHalf := half & (odd * 0xff)
				// Any byte below 2 is a zero count or an empty run.
				if (half-ones)&^half&highs != 0 {
					bad = true
				}
				sumHalf += hsum8(half)
				sumOddHalf += hsum8(oddHalf)
				nOdd += (odd * ones) >> 56
				nTok += 8
				i += 8
				continue
			}
		}
		x := uint64(b[i])
		n := 1
		if x >= 0x80 {
			v, k := binary.Uvarint(b[i:])
			if k <= 0 || v>>1 > math.MaxUint32 || (v&1 != 0 && v>>1 > limit) {
				return 0, false
			}
			x, n = v, k
		}
		if x < 2 {
			bad = true
		}
		h := x >> 1
		sumHalf += h
		if x&1 != 0 {
			sumOddHalf += h
			nOdd++
		}
		nTok++
		i += n
	}
	m := sumOddHalf + nTok - nOdd
	if bad || m > limit {
		return 0, false
	}
	return int64(sumHalf - sumOddHalf), true
}

// hsum8 adds the eight bytes of w (each below 128).
func hsum8(w uint64) uint64 {
	const lanes = 0x00ff00ff00ff00ff
	p := (w & lanes) + ((w >> 8) & lanes)
	return (p * 0x0001000100010001) >> 48
}

func splitPath(p string) (dir, base string) {
	dir, base = filepath.Split(p)
	if dir == "" {
		dir = "."
	}
	return dir, base
}
