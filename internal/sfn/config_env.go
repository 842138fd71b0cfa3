package sfn

import (
	"errors"
	"fmt"
	"os"
	"strconv"
)

// LoadFromEnv overrides limits from SFN_MAX_HISTORY_EVENTS,
// SFN_MAX_PAYLOAD_BYTES and SFN_MAX_MAP_CONCURRENCY; it reports every bad
// variable at once. Call it from cmd/ only.
func LoadFromEnv(c *Config) error {
	var errs []error
	for _, v := range []struct {
		name string
		dst  *int
	}{
		{"SFN_MAX_HISTORY_EVENTS", &c.MaxHistoryEvents},
		{"SFN_MAX_PAYLOAD_BYTES", &c.MaxPayloadBytes},
		{"SFN_MAX_MAP_CONCURRENCY", &c.MaxMapConcurrency},
	} {
		s, ok := os.LookupEnv(v.name)
		if !ok || s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			errs = append(errs, fmt.Errorf("sfn: %s: want a non-negative integer, got %q", v.name, s))
			continue
		}
		*v.dst = n
	}
	if s := os.Getenv("SFN_REGION"); s != "" {
		c.Region = s
	}
	return errors.Join(errs...)
}
