package profiler

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"golang.org/x/sys/unix"
)

// counter is one perf event counting a process tree from its next exec
// (enable_on_exec) with inheritance to every thread and child it creates.
type counter struct {
	fd   int
	name string
}

// openCounter opens a user-space counter of event (typ, config) on pid.
// Hardware events that the machine lacks fail with ENOENT or EOPNOTSUPP
// (virtual machines without a virtual PMU, like the project's).
func openCounter(pid int, typ uint32, config uint64, name string, userOnly bool) (*counter, error) {
	attr := unix.PerfEventAttr{
		Type:   typ,
		Config: config,
		Size:   uint32(unsafe.Sizeof(unix.PerfEventAttr{})),
		Bits:   unix.PerfBitDisabled | unix.PerfBitInherit | unix.PerfBitEnableOnExec,
	}
	if userOnly {
		attr.Bits |= unix.PerfBitExcludeKernel | unix.PerfBitExcludeHv
	}
	fd, err := unix.PerfEventOpen(&attr, pid, -1, -1, unix.PERF_FLAG_FD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("perf_event_open %s: %w", name, err)
	}
	return &counter{fd: fd, name: name}, nil
}

// read returns the count (the inherited children's counts are folded in as
// they exit).
func (c *counter) read() (float64, error) {
	var b [8]byte
	if _, err := unix.Read(c.fd, b[:]); err != nil {
		return 0, fmt.Errorf("read %s counter: %w", c.name, err)
	}
	return float64(binary.LittleEndian.Uint64(b[:])), nil
}

func (c *counter) close() { unix.Close(c.fd) }

// HardwareCounters reports whether this machine counts instructions in
// hardware, and why not.
func HardwareCounters() (bool, error) {
	c, err := openCounter(0, unix.PERF_TYPE_HARDWARE, unix.PERF_COUNT_HW_INSTRUCTIONS, "instructions", true)
	if err != nil {
		return false, err
	}
	c.close()
	return true, nil
}
