package recordio

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/confignav/confignav/backend"
)

func sample() []backend.Record {
	return []backend.Record{
		{InvocationID: 1, RequestID: 1, Function: "decode", Start: 100, Duration: 2500, BilledMs: 3, MemoryMB: 1024, MaxMemoryMB: 300, InitDuration: 45000, CostUSD: 5.1e-8},
		{InvocationID: 2, RequestID: 1, Function: "encode", Node: 1, Start: 9000, Duration: 1000, BilledMs: 1, MemoryMB: 512, MaxMemoryMB: 512, Status: backend.OOM, CostUSD: 2e-7},
	}
}

func TestCSV(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.csv")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sample() {
		w.Record(&r)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("file visible before Close")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := "invocation_id,request_id,function,node,instance,start_us,duration_us,billed_ms,memory_mb,max_memory_mb,init_duration_us,status,cost_usd\n" +
		"1,1,decode,0,0,100,2500,3,1024,300,45000,ok,5.1e-08\n" +
		"2,1,encode,1,0,9000,1000,1,512,512,,oom,2e-07\n"
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}

func TestParquetRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.parquet")
	w, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range sample() {
		w.Record(&r)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if tbl.NumRows() != 2 || tbl.NumCols() != int64(len(Schema.Fields())) {
		t.Fatalf("%d rows %d cols", tbl.NumRows(), tbl.NumCols())
	}
	init := tbl.Column(10).Data().Chunk(0)
	if init.IsNull(0) || !init.IsNull(1) {
		t.Fatal("init_duration_us must be null exactly for warm invocations")
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"a.csv", "a.parquet"} {
		w, err := Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		r := sample()[0]
		w.Record(&r)
		w.Abort()
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("abort left %d files", len(ents))
	}
	if _, err := Create(filepath.Join(dir, "a.txt")); err == nil || !strings.Contains(err.Error(), ".csv or .parquet") {
		t.Fatalf("unknown extension: %v", err)
	}
}
