//go:build unix

package imaging

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user + system) the process has used, or
// false where it cannot be measured. Unlike wall time it does not grow while
// a loaded machine runs something else.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
