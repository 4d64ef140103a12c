package profiler

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// valgrindCounts runs the command under valgrind's cachegrind with cache
// simulation off and branch simulation on, tracing children, and sums the
// user-space instructions (Ir) and branches (conditional Bc plus indirect Bi)
// of every process. The run is separate from the measured one: valgrind slows
// a program 10–50×.
func valgrindCounts(ctx context.Context, cmd string, args, env []string) (instr, branches float64, err error) {
	bin, err := exec.LookPath("valgrind")
	if err != nil {
		return 0, 0, errors.New("valgrind not installed")
	}
	dir, err := os.MkdirTemp("", "cnav-valgrind-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(dir)
	full := append([]string{"--tool=cachegrind", "--cache-sim=no", "--branch-sim=yes", "--trace-children=yes",
		"--cachegrind-out-file=" + filepath.Join(dir, "cg.%p"), cmd}, args...)
	c := exec.CommandContext(ctx, bin, full...)
	c.Env = env
	out, err := c.CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 1000 {
			msg = msg[len(msg)-1000:]
		}
		return 0, 0, fmt.Errorf("valgrind run failed: %v: %s", err, msg)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "cg.*"))
	if len(files) == 0 {
		return 0, 0, errors.New("valgrind wrote no cachegrind output")
	}
	for _, f := range files {
		i, b, err := parseCachegrind(f)
		if err != nil {
			return 0, 0, err
		}
		instr += i
		branches += b
	}
	return instr, branches, nil
}

// parseCachegrind reads the events and summary lines of a cachegrind output
// file and returns Ir and Bc + Bi.
func parseCachegrind(p string) (instr, branches float64, err error) {
	f, err := os.Open(p)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	var events []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<16), 1<<22)
	for sc.Scan() {
		l := sc.Text()
		if v, ok := strings.CutPrefix(l, "events:"); ok {
			events = strings.Fields(v)
		}
		if v, ok := strings.CutPrefix(l, "summary:"); ok {
			vals := strings.Fields(v)
			for i, e := range events {
				if i >= len(vals) {
					break
				}
				n, _ := strconv.ParseFloat(vals[i], 64)
				switch e {
				case "Ir":
					instr += n
				case "Bc", "Bi":
					branches += n
				}
			}
			return instr, branches, nil
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	return 0, 0, fmt.Errorf("profiler: %s: no cachegrind summary line", filepath.Base(p))
}
