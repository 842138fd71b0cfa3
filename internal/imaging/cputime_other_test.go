//go:build !unix

package imaging

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
