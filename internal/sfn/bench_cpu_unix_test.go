//go:build unix

package sfn_test

import (
	"syscall"
	"time"
)

// processCPU returns the user+system CPU time consumed by the process,
// a load-independent companion to the wall-clock ns/op.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
