package traces

import (
	"bytes"
	"io"
	"os"
	"strings"
)

// Load reads or generates the trace a workload spec names:
//
//	synthetic[:functions=N,minutes=M,start=S]  the generator (DefaultSynthParams),
//	                                           seeded by o.Seed; without minutes=,
//	                                           o.Duration (rounded up to minutes)
//	                                           or one day
//	azure2019:PATH[,PATH…]                     LoadAzure2019 (files or directories)
//	azure2021:PATH                             LoadAzure2021
//	parquet:PATH, or PATH ending in .parquet   LoadParquet
//	PATH                                       a directory of Azure 2019 files, a
//	                                           Parquet file, or a CSV whose header
//	                                           says whether it is Azure 2019
//	                                           invocations or Azure 2021
func Load(spec string, o Options) (*Trace, error) {
	kind, rest := specKind(strings.TrimSpace(spec))
	switch kind {
	case "synthetic":
		p := DefaultSynthParams()
		if o.Duration > 0 {
			p.Minutes = int((o.Duration + MinuteMicros - 1) / MinuteMicros)
		}
		if err := p.ParseSynthSpec(rest); err != nil {
			return nil, err
		}
		return Synthesize(p, o.Seed)
	case SourceAzure2019:
		if rest == "" {
			return nil, errorf("azure2019: want azure2019:PATH[,PATH…]")
		}
		return LoadAzure2019(strings.Split(rest, ",")...)
	case SourceAzure2021:
		if rest == "" {
			return nil, errorf("azure2021: want azure2021:PATH")
		}
		return LoadAzure2021(rest)
	case "parquet":
		return LoadParquet(rest)
	}
	if rest == "" {
		return nil, errorf("empty workload spec (want synthetic, azure2019:PATH, azure2021:PATH or FILE.parquet)")
	}
	st, err := os.Stat(rest)
	if err != nil {
		return nil, errorf("workload %q: not synthetic, azure2019:…, azure2021:… or an existing file: %v", rest, err)
	}
	if st.IsDir() {
		return LoadAzure2019(rest)
	}
	if strings.HasSuffix(strings.ToLower(rest), ".parquet") {
		return LoadParquet(rest)
	}
	f, err := os.Open(rest)
	if err != nil {
		return nil, errorf("%v", err)
	}
	var magic [4]byte
	_, _ = io.ReadFull(f, magic[:])
	f.Close()
	if string(magic[:]) == "PAR1" {
		return LoadParquet(rest)
	}
	lr, closeFn, err := openLines(rest)
	if err != nil {
		return nil, err
	}
	head, _ := lr.next()
	closeFn()
	switch {
	case bytes.HasPrefix(head, []byte("app,func,")):
		return LoadAzure2021(rest)
	case bytes.HasPrefix(head, []byte("HashOwner,HashApp,HashFunction,Trigger")):
		return LoadAzure2019(rest)
	}
	return nil, errorf("%s: cannot tell the trace format from the header %s; prefix the path with azure2019: or azure2021:", rest, quoteField(head))
}
