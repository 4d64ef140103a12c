package measure

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/confignav/confignav/fnmodel"
	"github.com/confignav/confignav/internal/atomicfile"
)

// Table is one function's measurement. Its JSON form is a superset of
// fnmodel.Table's: decoding it into an fnmodel.Table gives the table-driven
// function (warm samples per memory size); the other fields say how, where
// and when it was measured.
type Table struct {
	fnmodel.Table
	Function    string            `json:"function"`
	Machine     Machine           `json:"machine"`
	Measured    string            `json:"measured"` // date and time, RFC 3339
	Method      string            `json:"method"`
	Worker      string            `json:"worker"` // the program that ran the function
	InputFiles  []string          `json:"input_files"`
	Args        map[string]string `json:"args,omitempty"`
	Details     []RowDetail       `json:"details"` // every memory size tried, failures included
	Limitations []string          `json:"limitations,omitempty"`
}

// RowDetail is everything measured at one memory size.
type RowDetail struct {
	MemoryMB int `json:"memory_mb"`
	Limits
	Status    string       `json:"status"`  // ok, oom, error: …, timeout
	WarmMs    []float64    `json:"warm_ms"` // handler durations in a warm environment (the table's samples)
	Cold      []ColdSample `json:"cold"`
	PeakMB    float64      `json:"peak_memory_mb"` // the cgroup's peak usage (page cache included), largest run
	PeakRSSMB float64      `json:"peak_rss_mb"`    // the worker's VmHWM + its largest ffmpeg child's max RSS, largest run
	Periods   int          `json:"cfs_periods"`
	Throttled int          `json:"cfs_throttled_periods"` // periods in which the quota stopped the function
	LoadAvg   float64      `json:"load_avg_1m"`           // the machine's load when the size started
}

// ColdSample is one cold start: a new environment's process start and
// static initialisation, then its first invocation.
type ColdSample struct {
	InitMs     float64 `json:"init_ms"`     // spawn to ready, as the measuring process saw it
	DurationMs float64 `json:"duration_ms"` // the first invocation's handler time
}

// Machine is where a table was measured.
type Machine struct {
	CPUModel string `json:"cpu_model"`
	CPUs     int    `json:"cpus"`
	MemoryMB int    `json:"memory_mb"`
	Kernel   string `json:"kernel"`
	Go       string `json:"go"`
	FFmpeg   string `json:"ffmpeg,omitempty"`
	Cgroups  string `json:"cgroups"`
}

// Write writes the table as Parquet (one row per sample) at path and as JSON
// beside it (path with .json instead of .parquet).
func Write(t *Table, path string) error {
	if filepath.Ext(path) != ".parquet" {
		return fmt.Errorf("measure: %s: want a .parquet path (the JSON form is written beside it)", path)
	}
	if err := writeParquet(t, path); err != nil {
		return err
	}
	return WriteJSON(t, strings.TrimSuffix(path, ".parquet")+".json")
}

// WriteJSON writes the JSON form only.
func WriteJSON(t *Table, path string) error {
	b, err := json.MarshalIndent(t, "", " ")
	if err != nil {
		return fmt.Errorf("measure: %w", err)
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(append(b, '\n')); err != nil {
		return err
	}
	if err := f.Commit(); err != nil {
		return err
	}
	return os.Chmod(path, 0o644) // tables are committed and shared
}

// ParquetSchema is the long form: one row per sample.
var ParquetSchema = arrow.NewSchema([]arrow.Field{
	{Name: "function", Type: arrow.BinaryTypes.String},
	{Name: "memory_mb", Type: arrow.PrimitiveTypes.Int32},
	{Name: "kind", Type: arrow.BinaryTypes.String}, // warm or cold
	{Name: "seq", Type: arrow.PrimitiveTypes.Int32},
	{Name: "duration_ms", Type: arrow.PrimitiveTypes.Float64},
	{Name: "init_ms", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "status", Type: arrow.BinaryTypes.String},
	{Name: "vcpu", Type: arrow.PrimitiveTypes.Float64},
	{Name: "cpus", Type: arrow.PrimitiveTypes.Float64},
	{Name: "capped", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "method", Type: arrow.BinaryTypes.String},
	{Name: "peak_memory_mb", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "peak_rss_mb", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

func writeParquet(t *Table, path string) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithDictionaryDefault(true))
	fw, err := pqarrow.NewFileWriter(ParquetSchema, struct{ io.Writer }{f}, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return fmt.Errorf("measure: %w", err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, ParquetSchema)
	defer b.Release()
	fs := b.Fields()
	add := func(d *RowDetail, kind string, seq int, dur, init float64) {
		fs[0].(*array.StringBuilder).Append(t.Function)
		fs[1].(*array.Int32Builder).Append(int32(d.MemoryMB))
		fs[2].(*array.StringBuilder).Append(kind)
		fs[3].(*array.Int32Builder).Append(int32(seq))
		fs[4].(*array.Float64Builder).Append(dur)
		if kind == "cold" {
			fs[5].(*array.Float64Builder).Append(init)
		} else {
			fs[5].(*array.Float64Builder).AppendNull()
		}
		fs[6].(*array.StringBuilder).Append(d.Status)
		fs[7].(*array.Float64Builder).Append(d.VCPU)
		fs[8].(*array.Float64Builder).Append(d.CPUs)
		fs[9].(*array.BooleanBuilder).Append(d.Capped)
		fs[10].(*array.StringBuilder).Append(d.Method)
		for i, v := range []float64{d.PeakMB, d.PeakRSSMB} {
			if v > 0 {
				fs[11+i].(*array.Float64Builder).Append(v)
			} else {
				fs[11+i].(*array.Float64Builder).AppendNull()
			}
		}
	}
	for i := range t.Details {
		d := &t.Details[i]
		for k, c := range d.Cold {
			add(d, "cold", k, c.DurationMs, c.InitMs)
		}
		for k, w := range d.WarmMs {
			add(d, "warm", k, w, 0)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := fw.Write(rec); err != nil {
		return fmt.Errorf("measure: %w", err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("measure: %w", err)
	}
	if err := f.Commit(); err != nil {
		return err
	}
	return os.Chmod(path, 0o644)
}

// LoadDir loads every measured table (*.json) in dir as table-driven
// functions, keyed by function name, each validated. It is what
// --platform measured:DIR reads.
func LoadDir(dir string) (map[string]*fnmodel.Table, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := map[string]*fnmodel.Table{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			return nil, fmt.Errorf("measure: %w", err)
		}
		var doc struct {
			Function string `json:"function"`
			fnmodel.Table
		}
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("measure: %s: %w", n, err)
		}
		name := doc.Function
		if name == "" {
			name = strings.TrimSuffix(filepath.Base(n), ".json")
		}
		t := doc.Table
		// How work and memory grow with the input is fitted by cnav calibrate
		// over several clips; the exponents a table carries were copied from
		// the model when it was measured, so the calibrated ones replace them.
		if p, err := fnmodel.Builtin(name); err == nil {
			t.Scale = p.Scale
		}
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("measure: %s (%s): %w", n, name, err)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("measure: %s: a second table for function %q", n, name)
		}
		out[name] = &t
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("measure: no measured tables (*.json) in %s", dir)
	}
	return out, nil
}
