// Package awsid makes the identifiers the local stack hands out: request
// ids, UUIDs, random hex and the ARNs of its resources. Each format is the
// one AWS uses for the same thing, so clients that parse them keep working.
package awsid

import (
	"crypto/rand"
	"encoding/hex"
)

// UUID returns a random version 4 UUID in its canonical text form
// (xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx). SNS message and request ids,
// Step Functions execution names, revision ids and request ids use it.
func UUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return dashed(b)
}

// LambdaRequestID returns an invocation's request id: 16 random bytes
// in the 8-4-4-4-12 layout, with no version or variant bits set.
func LambdaRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return dashed(b)
}

// Hex returns n random bytes as 2n lower-case hex digits: opaque ids,
// tokens and secrets.
func Hex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func dashed(b [16]byte) string {
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
