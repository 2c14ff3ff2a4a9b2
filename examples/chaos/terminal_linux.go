package main

import (
	"os"
	"os/signal"
	"syscall"
	"unsafe"
)

// takeTerminal makes the demo the terminal's foreground process group when
// it shares its group with a parent on a terminal, as under `go run`. A
// Ctrl-C is then the demo's alone: it leaves gracefully and exits 0, and so
// does `go run`, which exits 1 after any interrupt that reaches it, however
// its child ends. restore gives the terminal back; call it before exiting.
// Anywhere else (no terminal, a shell's own job, not in the foreground) it
// changes nothing.
func takeTerminal() (restore func()) {
	nothing := func() {}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return nothing // no controlling terminal
	}
	fd := tty.Fd()
	parent := syscall.Getpgrp()
	if fg, err := tcgetpgrp(fd); err != nil || fg != parent || parent == syscall.Getpid() {
		tty.Close()
		return nothing
	}
	// A process outside the foreground group may set it only while it
	// ignores SIGTTOU. Ctrl-Z is ignored too: it would stop the demo's
	// group alone, and the shell, which waits for `go run`, would never
	// get the terminal back.
	signal.Ignore(syscall.SIGTTOU, syscall.SIGTSTP)
	if err := syscall.Setpgid(0, 0); err != nil {
		tty.Close()
		return nothing
	}
	if err := tcsetpgrp(fd, syscall.Getpid()); err != nil {
		_ = syscall.Setpgid(0, parent)
		tty.Close()
		return nothing
	}
	return func() {
		_ = tcsetpgrp(fd, parent)
		tty.Close()
	}
}

func tcgetpgrp(fd uintptr) (int, error) {
	var pgrp int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCGPGRP, uintptr(unsafe.Pointer(&pgrp))); e != 0 {
		return 0, e
	}
	return int(pgrp), nil
}

func tcsetpgrp(fd uintptr, pgrp int) error {
	p := int32(pgrp)
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, fd, syscall.TIOCSPGRP, uintptr(unsafe.Pointer(&p))); e != 0 {
		return e
	}
	return nil
}
