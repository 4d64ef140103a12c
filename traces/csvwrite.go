package traces

import (
	"bufio"
	"io"
	"strconv"
	"strings"
)

// WriteCSV writes the trace in its source layout: a per-minute trace as an
// Azure 2019 invocations file (HashOwner,HashApp,HashFunction,Trigger and one
// column per minute, labelled by minute of the day; the layout holds one day,
// so the trace must not run past midnight), a per-invocation trace as an
// Azure 2021 file (app,func,end_timestamp,duration in seconds).
func (t *Trace) WriteCSV(w io.Writer) error {
	if t.Kind == PerMinute && t.FirstMinute%1440+t.Minutes > 1440 {
		return errorf("write csv: the trace runs past midnight (minute %d + %d), and the Azure 2019 layout holds one day",
			t.FirstMinute%1440, t.Minutes)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	var buf []byte
	if t.Kind == PerInvocation {
		bw.WriteString(strings.Join(azure2021Header, ",") + "\n")
		for _, c := range t.Calls {
			f := &t.Functions[c.Func]
			buf = append(buf[:0], f.App...)
			buf = append(buf, ',')
			buf = append(buf, f.Name...)
			buf = append(buf, ',')
			buf = appendSeconds(buf, c.Start+c.Duration)
			buf = append(buf, ',')
			buf = appendSeconds(buf, c.Duration)
			buf = append(buf, '\n')
			bw.Write(buf)
		}
		return bw.Flush()
	}
	bw.WriteString(strings.Join(invocationsHeader, ","))
	for m := 0; m < t.Minutes; m++ {
		buf = append(buf[:0], ',')
		buf = strconv.AppendInt(buf, int64(t.FirstMinute%1440+m+1), 10)
		bw.Write(buf)
	}
	bw.WriteByte('\n')
	for i := range t.Functions {
		f := &t.Functions[i]
		buf = append(buf[:0], f.Owner...)
		buf = append(buf, ',')
		buf = append(buf, f.App...)
		buf = append(buf, ',')
		buf = append(buf, f.Name...)
		buf = append(buf, ',')
		buf = append(buf, f.Trigger...)
		c := newCursor(f.counts)
		for m := 0; m < t.Minutes; m++ {
			buf = append(buf, ',')
			buf = strconv.AppendUint(buf, uint64(c.next()), 10)
		}
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// appendSeconds formats microseconds as seconds with up to six decimals.
func appendSeconds(b []byte, us int64) []byte {
	b = strconv.AppendInt(b, us/1e6, 10)
	if frac := us % 1e6; frac != 0 {
		s := strconv.FormatInt(frac+1e6, 10)[1:]
		b = append(b, '.')
		b = append(b, strings.TrimRight(s, "0")...)
	}
	return b
}

// ReadAzure2019 parses one Azure 2019 invocations file from r (plain or
// gzip); name is used in errors and for the day number. LoadAzure2019 is the
// multi-file, multi-kind loader.
func ReadAzure2019(r io.Reader, name string) (*Trace, error) {
	lr, err := newLineReader(r, name)
	if err != nil {
		return nil, err
	}
	var blocks []*invBlock
	if err := loadAzure2019Lines(lr, &blocks, nil, nil); err != nil {
		return nil, err
	}
	if len(blocks) == 0 {
		return nil, perr(name, 1, 1, ErrHeader, "not an Azure 2019 invocations file")
	}
	return combineBlocks(blocks)
}

// ReadAzure2021 parses an Azure 2021 invocations file from r (plain or gzip).
func ReadAzure2021(r io.Reader, name string) (*Trace, error) {
	lr, err := newLineReader(r, name)
	if err != nil {
		return nil, err
	}
	return parseAzure2021(lr)
}
