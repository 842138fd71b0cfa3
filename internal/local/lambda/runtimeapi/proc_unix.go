//go:build unix

package runtimeapi

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the process in a process group of its own, so a Ctrl-C
// in the terminal reaches the stack, which then stops its processes in
// order (Close), instead of every process at once.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}
