package recordio

import (
	"bufio"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/confignav/confignav/backend"
	"github.com/confignav/confignav/internal/atomicfile"
)

// Schema is the Arrow schema of a records table.
var Schema = arrow.NewSchema([]arrow.Field{
	{Name: "invocation_id", Type: arrow.PrimitiveTypes.Uint64},
	{Name: "request_id", Type: arrow.PrimitiveTypes.Uint64},
	{Name: "function", Type: arrow.BinaryTypes.String},
	{Name: "node", Type: arrow.PrimitiveTypes.Int32},
	{Name: "instance", Type: arrow.PrimitiveTypes.Int32},
	{Name: "start_us", Type: arrow.PrimitiveTypes.Int64},
	{Name: "duration_us", Type: arrow.PrimitiveTypes.Int64},
	{Name: "billed_ms", Type: arrow.PrimitiveTypes.Int64},
	{Name: "memory_mb", Type: arrow.PrimitiveTypes.Int32},
	{Name: "max_memory_mb", Type: arrow.PrimitiveTypes.Int32},
	{Name: "init_duration_us", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
	{Name: "status", Type: arrow.BinaryTypes.String},
	{Name: "cost_usd", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// Writer is a backend.Sink that writes records to a file. Errors are sticky:
// the first one is returned by Close, and nothing is committed.
type Writer interface {
	backend.Sink
	// Close finishes the file and moves it into place.
	Close() error
	// Abort discards the file.
	Abort()
}

// Create opens a writer for path, choosing the format by extension: .parquet
// or .csv.
func Create(path string) (Writer, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".parquet":
		return newParquet(path)
	case ".csv":
		return newCSV(path)
	}
	return nil, fmt.Errorf("recordio: %s: unknown format, want a .csv or .parquet file", path)
}

type csvWriter struct {
	f   *atomicfile.File
	w   *bufio.Writer
	buf []byte
	err error
}

func newCSV(path string) (*csvWriter, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	w := &csvWriter{f: f, w: bufio.NewWriterSize(f, 1<<16)}
	for i, fl := range Schema.Fields() {
		if i > 0 {
			w.w.WriteByte(',')
		}
		w.w.WriteString(fl.Name)
	}
	w.w.WriteByte('\n')
	return w, nil
}

func (w *csvWriter) Record(r *backend.Record) {
	if w.err != nil {
		return
	}
	b := w.buf[:0]
	b = strconv.AppendUint(b, r.InvocationID, 10)
	b = append(b, ',')
	b = strconv.AppendUint(b, r.RequestID, 10)
	b = append(b, ',')
	b = append(b, r.Function...) // names are validated: no commas or quotes
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Node), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.Instance), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.Start, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.Duration, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, r.BilledMs, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.MemoryMB), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(r.MaxMemoryMB), 10)
	b = append(b, ',')
	if r.Cold() {
		b = strconv.AppendInt(b, r.InitDuration, 10)
	}
	b = append(b, ',')
	b = append(b, r.Status.String()...)
	b = append(b, ',')
	b = strconv.AppendFloat(b, r.CostUSD, 'g', -1, 64)
	b = append(b, '\n')
	w.buf = b
	_, w.err = w.w.Write(b)
}

func (w *csvWriter) Close() error {
	defer w.f.Abort()
	if w.err != nil {
		return fmt.Errorf("recordio: %w", w.err)
	}
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("recordio: %w", err)
	}
	return w.f.Commit()
}

func (w *csvWriter) Abort() { w.f.Abort() }

const batchRows = 1 << 16

type parquetWriter struct {
	f   *atomicfile.File
	fw  *pqarrow.FileWriter
	b   *array.RecordBuilder
	n   int
	err error
}

func newParquet(path string) (*parquetWriter, error) {
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, err
	}
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd), parquet.WithDictionaryDefault(true))
	// Hide Close from the Parquet writer: the atomic file must be synced and
	// renamed, not closed under it.
	fw, err := pqarrow.NewFileWriter(Schema, struct{ io.Writer }{f}, props, pqarrow.DefaultWriterProps())
	if err != nil {
		f.Abort()
		return nil, fmt.Errorf("recordio: %w", err)
	}
	return &parquetWriter{f: f, fw: fw, b: array.NewRecordBuilder(memory.DefaultAllocator, Schema)}, nil
}

func (w *parquetWriter) Record(r *backend.Record) {
	if w.err != nil {
		return
	}
	fs := w.b.Fields()
	fs[0].(*array.Uint64Builder).Append(r.InvocationID)
	fs[1].(*array.Uint64Builder).Append(r.RequestID)
	fs[2].(*array.StringBuilder).Append(r.Function)
	fs[3].(*array.Int32Builder).Append(r.Node)
	fs[4].(*array.Int32Builder).Append(r.Instance)
	fs[5].(*array.Int64Builder).Append(r.Start)
	fs[6].(*array.Int64Builder).Append(r.Duration)
	fs[7].(*array.Int64Builder).Append(r.BilledMs)
	fs[8].(*array.Int32Builder).Append(r.MemoryMB)
	fs[9].(*array.Int32Builder).Append(r.MaxMemoryMB)
	if r.Cold() {
		fs[10].(*array.Int64Builder).Append(r.InitDuration)
	} else {
		fs[10].(*array.Int64Builder).AppendNull()
	}
	fs[11].(*array.StringBuilder).Append(r.Status.String())
	fs[12].(*array.Float64Builder).Append(r.CostUSD)
	w.n++
	if w.n == batchRows {
		w.flush()
	}
}

func (w *parquetWriter) flush() {
	if w.n == 0 || w.err != nil {
		return
	}
	rec := w.b.NewRecordBatch()
	defer rec.Release()
	w.err = w.fw.Write(rec)
	w.n = 0
}

func (w *parquetWriter) Close() error {
	defer w.f.Abort()
	defer w.b.Release()
	w.flush()
	if w.err != nil {
		return fmt.Errorf("recordio: %w", w.err)
	}
	if err := w.fw.Close(); err != nil {
		return fmt.Errorf("recordio: %w", err)
	}
	return w.f.Commit()
}

func (w *parquetWriter) Abort() {
	w.b.Release()
	w.f.Abort()
}
