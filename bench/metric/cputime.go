package metric

import (
	"syscall"
	"time"
)

// CPUTime is the user plus system CPU time this process has used so far,
// all threads together (getrusage RUSAGE_SELF), or 0 if it cannot be read.
// The per-core comparisons use it because Lambda bills CPU, not wall time:
// a difference of two readings around a run is what that run cost.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
