//go:build race

package imaging

// raceEnabled: the race detector multiplies memory and time, so the
// hostile-input table, which measures them, does not run under it.
const raceEnabled = true
