package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// The README's first command, `go run ./examples/chaos`, on a terminal: a
// Ctrl-C leaves gracefully and exits 0, although `go run` exits 1 after any
// interrupt that reaches it. The terminal is a pseudo-terminal whose
// line discipline turns the ^C byte into SIGINT for its foreground
// process group, as a real terminal does.
func TestDemoCtrlCUnderGoRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the demo with go run")
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	master, slave, err := openPTY()
	if err != nil {
		t.Skipf("no pseudo-terminal: %v", err)
	}
	defer master.Close()

	cmd := exec.Command(goBin, "run", ".")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	// A session of its own with the terminal as its controlling one, as a
	// shell gives a job: `go run` is the foreground process group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	require.NoError(t, cmd.Start())
	slave.Close()

	var mu sync.Mutex
	var out bytes.Buffer
	readDone := make(chan struct{})
	go func() {
		defer close(readDone)
		buf := make([]byte, 4096)
		for {
			n, err := master.Read(buf)
			mu.Lock()
			out.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return // EIO once every holder of the terminal is gone
			}
		}
	}()
	output := func() string {
		mu.Lock()
		defer mu.Unlock()
		return out.String()
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Ctrl-C once the cluster has formed (go run may take a while to
	// build the demo on a busy machine).
	deadline := time.After(3 * time.Minute)
	for !strings.Contains(output(), "All 5 nodes joined") {
		select {
		case err := <-exited:
			t.Fatalf("the demo ended before the cluster formed (%v):\n%s", err, output())
		case <-deadline:
			cmd.Process.Kill()
			t.Fatalf("the cluster did not form:\n%s", output())
		case <-time.After(20 * time.Millisecond):
		}
	}
	_, err = master.Write([]byte{3}) // ^C
	require.NoError(t, err)

	select {
	case err = <-exited:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		t.Fatalf("the demo did not stop after Ctrl-C:\n%s", output())
	}
	<-readDone
	var exitErr *exec.ExitError
	require.False(t, errors.As(err, &exitErr), "go run exited with %v after Ctrl-C:\n%s", err, output())
	require.NoError(t, err)
	require.Contains(t, output(), "Leaving gracefully...")
	require.Contains(t, output(), "Every node left; stopped.")
	require.Contains(t, output(), "Timings shortened for the demo")
	require.Regexp(t, `\d+\.\d\ds  All 5 nodes joined, \S+ after the first started`, output())
}

// openPTY opens a new pseudo-terminal pair.
func openPTY() (master, slave *os.File, err error) {
	master, err = os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	unlock := int32(0)
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		master.Close()
		return nil, nil, e
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		master.Close()
		return nil, nil, e
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		master.Close()
		return nil, nil, err
	}
	return master, slave, nil
}
