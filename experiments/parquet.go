package experiments

import (
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/confignav/confignav/internal/atomicfile"
)

// RowSchema is the Arrow schema of every experiment table (see doc.go).
var RowSchema = arrow.NewSchema([]arrow.Field{
	{Name: "experiment", Type: arrow.BinaryTypes.String},
	{Name: "platform", Type: arrow.BinaryTypes.String},
	{Name: "pipeline", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "tuner", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "bound", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "seed", Type: arrow.PrimitiveTypes.Int64},
	{Name: "series", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "x", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	{Name: "metric", Type: arrow.BinaryTypes.String},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// WriteParquet writes rows to path atomically.
func WriteParquet(path string, rows []Row) error {
	f, err := atomicfile.Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	b := array.NewRecordBuilder(memory.DefaultAllocator, RowSchema)
	defer b.Release()
	str := func(i int, s string) {
		sb := b.Field(i).(*array.StringBuilder)
		if s == "" && RowSchema.Field(i).Nullable {
			sb.AppendNull()
		} else {
			sb.Append(s)
		}
	}
	num := func(i int, v float64) {
		fb := b.Field(i).(*array.Float64Builder)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			fb.AppendNull()
		} else {
			fb.Append(v)
		}
	}
	for _, r := range rows {
		str(0, r.Experiment)
		str(1, r.Platform)
		str(2, r.Pipeline)
		str(3, r.Tuner)
		num(4, r.Bound)
		b.Field(5).(*array.Int64Builder).Append(r.Seed)
		str(6, r.Series)
		num(7, r.X)
		str(8, r.Metric)
		num(9, r.Value)
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Zstd))
	fw, err := pqarrow.NewFileWriter(RowSchema, struct{ io.Writer }{f}, props, pqarrow.DefaultWriterProps())
	if err != nil {
		return fmt.Errorf("experiments: %w", err)
	}
	if err := fw.Write(rec); err != nil {
		return fmt.Errorf("experiments: %s: %w", path, err)
	}
	if err := fw.Close(); err != nil {
		return fmt.Errorf("experiments: %s: %w", path, err)
	}
	return f.Commit()
}
