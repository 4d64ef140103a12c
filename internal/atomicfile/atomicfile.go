package atomicfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// File is a pending write of a file.
type File struct {
	*os.File
	path string
	done bool
}

// Create starts writing path. The temporary file is ".BASE.tmp-HOST-PID-N"
// in path's directory (HOST a short hash of the host name); the first Create
// in a directory by a process removes the temporary files there that a dead
// process of this host left (a killed run), and those of other hosts or of
// the older ".BASE.tmp-N" form once they are a day old.
func Create(path string) (*File, error) {
	dir := filepath.Dir(path)
	sweepOnce(dir)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-"+hostID()+"-"+strconv.Itoa(os.Getpid())+"-*")
	if err != nil {
		return nil, fmt.Errorf("atomicfile: %w", err)
	}
	return &File{File: f, path: path}, nil
}

// swept holds the directories this process has swept.
var swept sync.Map

func sweepOnce(dir string) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	if _, done := swept.LoadOrStore(dir, true); !done {
		Sweep(dir, 24*time.Hour)
	}
}

// hostID is a short hash of the host name: a directory shared between
// machines must not lose another machine's pending write because its process
// id is free here.
func hostID() string {
	h, _ := os.Hostname()
	sum := sha256.Sum256([]byte(h))
	return hex.EncodeToString(sum[:4])
}

// Sweep removes the stale temporary files of this package's writers in dir:
// those of this host whose writing process no longer runs, and the others
// (other hosts, or no process id) older than maxAge. It returns how many it
// removed.
func Sweep(dir string, maxAge time.Duration) int {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range ents {
		name := e.Name()
		i := strings.LastIndex(name, ".tmp-")
		if !strings.HasPrefix(name, ".") || i < 0 || e.IsDir() {
			continue
		}
		rest := name[i+len(".tmp-"):]
		old := func() bool {
			info, err := e.Info()
			return err == nil && time.Since(info.ModTime()) > maxAge
		}
		var stale bool
		switch parts := strings.Split(rest, "-"); len(parts) {
		case 3: // HOST-PID-N
			pid, err := strconv.Atoi(parts[1])
			if err != nil || pid <= 0 || len(parts[0]) != 8 {
				continue
			}
			if parts[0] == hostID() {
				stale = pid != os.Getpid() && !alive(pid)
			} else {
				stale = old()
			}
		case 1: // N, before process ids
			if _, err := strconv.ParseUint(rest, 10, 64); err != nil {
				continue // not ours
			}
			stale = old()
		default:
			continue
		}
		if stale && os.Remove(filepath.Join(dir, name)) == nil {
			n++
		}
	}
	return n
}

// alive reports whether a process runs (or cannot be signalled by us, which
// means it runs under another user).
func alive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	err = p.Signal(syscall.Signal(0))
	return err == nil || !errors.Is(err, os.ErrProcessDone) && !errors.Is(err, syscall.ESRCH)
}

// Commit syncs the data and moves it into place.
func (f *File) Commit() error {
	if f.done {
		return fmt.Errorf("atomicfile: %s already committed or aborted", f.path)
	}
	f.done = true
	if err := f.Sync(); err != nil {
		f.File.Close()
		os.Remove(f.Name())
		return fmt.Errorf("atomicfile: sync %s: %w", f.path, err)
	}
	if err := f.File.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("atomicfile: close %s: %w", f.path, err)
	}
	if err := os.Rename(f.Name(), f.path); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("atomicfile: %w", err)
	}
	return nil
}

// Abort discards the pending write. It is safe to call after Commit, so that
// `defer f.Abort()` cleans up on every error path.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.File.Close()
	os.Remove(f.Name())
}

// WriteFile writes data to path atomically.
func WriteFile(path string, data []byte) error {
	f, err := Create(path)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(data); err != nil {
		return fmt.Errorf("atomicfile: write %s: %w", path, err)
	}
	return f.Commit()
}
