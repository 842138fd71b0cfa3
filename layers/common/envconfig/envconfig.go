// Package envconfig reads typed settings from environment variables and
// reports every bad variable at once.
//
// Only a main package reads the process environment; it passes os.LookupEnv
// (or a map in tests) to a Reader.
package envconfig

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// LookupFunc has the signature of os.LookupEnv.
type LookupFunc func(key string) (string, bool)

// Map turns a map into a LookupFunc, for tests and for the local stack, which
// builds each function's environment from template.yaml.
func Map(env map[string]string) LookupFunc {
	return func(key string) (string, bool) {
		v, ok := env[key]
		return v, ok
	}
}

// Reader collects parse errors while settings are read, so that a function
// with three bad variables says so once instead of failing three deploys.
type Reader struct {
	lookup LookupFunc
	errs   []error
}

// NewReader returns a Reader over lookup.
func NewReader(lookup LookupFunc) *Reader {
	return &Reader{lookup: lookup}
}

// String sets *dst to the variable's value when it is set and not empty.
func (r *Reader) String(key string, dst *string) {
	if v, ok := r.lookup(key); ok && v != "" {
		*dst = v
	}
}

// Int64 sets *dst to the variable's value parsed as a base-10 integer.
func (r *Reader) Int64(key string, dst *int64) {
	v, ok := r.lookup(key)
	if !ok || strings.TrimSpace(v) == "" {
		return
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s: %q is not an integer", key, v))
		return
	}
	*dst = n
}

// Err returns every error seen so far, joined, or nil.
func (r *Reader) Err() error {
	return errors.Join(r.errs...)
}
