package s3

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"hash/crc32"
	"hash/crc64"
	"net/http"
	"sort"
	"strings"
)

// Additional checksums, as the S3 User Guide's "Checking object integrity"
// defines them: a client sends x-amz-checksum-<algo> (base64 of the digest,
// big-endian for the CRCs) as a header or as an aws-chunked trailer named
// by x-amz-trailer, or only names the algorithm
// (x-amz-sdk-checksum-algorithm, x-amz-checksum-algorithm). S3 computes the
// digest over the content, refuses a mismatch with 400 BadDigest, stores
// it, and returns it on GET/HEAD when x-amz-checksum-mode is ENABLED. An
// object written with no checksum gets CRC64NVME, as S3 does since 2025.
//
// A multipart object's checksum is FULL_OBJECT (the digest of the whole
// content; CRCs only) or COMPOSITE: the digest of the concatenated part
// digests, suffixed "-<number of parts>".

// checksumAlgos are the algorithms, as named in x-amz-checksum-algorithm.
var checksumAlgos = []string{"CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"}

// crc64NVMETable is CRC-64/NVME: polynomial 0xAD93D23594C93659, reflected
// (0x9A6C9329AC4BC9B5), init and xorout all ones (as hash/crc64 applies).
var crc64NVMETable = crc64.MakeTable(0x9A6C9329AC4BC9B5)

var crc32CTable = crc32.MakeTable(crc32.Castagnoli)

// newChecksum returns algo's hash, or nil for an unknown algorithm.
func newChecksum(algo string) hash.Hash {
	switch algo {
	case "CRC32":
		return crc32.NewIEEE()
	case "CRC32C":
		return crc32.New(crc32CTable)
	case "CRC64NVME":
		return crc64.New(crc64NVMETable)
	case "SHA1":
		return sha1.New()
	case "SHA256":
		return sha256.New()
	}
	return nil
}

// checksumHeader is the header carrying algo's value.
func checksumHeader(algo string) string { return "x-amz-checksum-" + strings.ToLower(algo) }

// checksummer collects what a write must verify and store: the digests the
// client sent (or will send in a trailer), the algorithms to compute, and
// Content-MD5 and a hex x-amz-content-sha256.
type checksummer struct {
	hashes   map[string]hash.Hash // algorithm → running digest
	want     map[string]string    // algorithm → base64 the client sent
	trailer  string               // algorithm whose value arrives as a trailer
	md5      string               // Content-MD5, base64
	sha256   hash.Hash            // for a hex x-amz-content-sha256
	sha256Of string
}

// newChecksummer reads r's checksum headers. defaultAlgo is computed when
// the client names none ("" for none).
func newChecksummer(r *http.Request, defaultAlgo string) (*checksummer, *APIError) {
	c := &checksummer{hashes: map[string]hash.Hash{}, want: map[string]string{}}
	for _, algo := range checksumAlgos {
		if v := r.Header.Get(checksumHeader(algo)); v != "" {
			if raw, err := base64.StdEncoding.DecodeString(v); err != nil || len(raw) != newChecksum(algo).Size() {
				return nil, errInvalidArgument("Value for " + checksumHeader(algo) + " header is invalid.")
			}
			c.want[algo] = v
			c.hashes[algo] = newChecksum(algo)
		}
	}
	if len(c.want) > 1 {
		return nil, errInvalidRequest("Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.")
	}
	for _, h := range []string{"X-Amz-Sdk-Checksum-Algorithm", "X-Amz-Checksum-Algorithm"} {
		if v := strings.ToUpper(r.Header.Get(h)); v != "" {
			if newChecksum(v) == nil {
				return nil, errInvalidRequest("Checksum algorithm provided is unsupported. Please try again with any of the valid types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]")
			}
			if _, ok := c.hashes[v]; !ok && len(c.want) == 0 {
				c.hashes[v] = newChecksum(v)
			}
		}
	}
	if t := strings.ToLower(strings.TrimSpace(r.Header.Get("X-Amz-Trailer"))); strings.HasPrefix(t, "x-amz-checksum-") {
		algo := strings.ToUpper(strings.TrimPrefix(t, "x-amz-checksum-"))
		if newChecksum(algo) == nil {
			return nil, errInvalidRequest("The value specified in the x-amz-trailer header is not supported")
		}
		c.trailer = algo
		c.hashes = map[string]hash.Hash{algo: newChecksum(algo)}
	}
	if len(c.hashes) == 0 && defaultAlgo != "" {
		c.hashes[defaultAlgo] = newChecksum(defaultAlgo)
	}
	if v := r.Header.Get("Content-Md5"); v != "" {
		if raw, err := base64.StdEncoding.DecodeString(v); err != nil || len(raw) != md5.Size {
			return nil, &APIError{Status: http.StatusBadRequest, Code: "InvalidDigest", Message: "The Content-MD5 you specified was invalid."}
		}
		c.md5 = v
	}
	if v := r.Header.Get("X-Amz-Content-Sha256"); len(v) == 64 {
		if _, err := hex.DecodeString(v); err == nil {
			c.sha256, c.sha256Of = sha256.New(), strings.ToLower(v)
		}
	}
	return c, nil
}

// writers are the hashes to feed the content through.
func (c *checksummer) writers() []hash.Hash {
	out := make([]hash.Hash, 0, len(c.hashes)+1)
	for _, algo := range checksumAlgos {
		if h, ok := c.hashes[algo]; ok {
			out = append(out, h)
		}
	}
	if c.sha256 != nil {
		out = append(out, c.sha256)
	}
	return out
}

// verify compares the digests with what the client sent, once the content
// (and its trailers) has been read, and returns the checksums to store.
func (c *checksummer) verify(contentMD5 []byte, trailers map[string]string) (map[string]string, *APIError) {
	if c.sha256 != nil && hex.EncodeToString(c.sha256.Sum(nil)) != c.sha256Of {
		return nil, &APIError{Status: http.StatusBadRequest, Code: "XAmzContentSHA256Mismatch",
			Message: "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	if c.md5 != "" && base64.StdEncoding.EncodeToString(contentMD5) != c.md5 {
		return nil, &APIError{Status: http.StatusBadRequest, Code: "BadDigest",
			Message: "The Content-MD5 you specified did not match what we received."}
	}
	if c.trailer != "" {
		v := trailers[checksumHeader(c.trailer)]
		if v == "" {
			return nil, errInvalidRequest("x-amz-trailer names " + checksumHeader(c.trailer) + " but the body carries no such trailer")
		}
		c.want[c.trailer] = v
	}
	out := map[string]string{}
	for algo, h := range c.hashes {
		got := base64.StdEncoding.EncodeToString(h.Sum(nil))
		if w, ok := c.want[algo]; ok && w != got {
			return nil, errBadDigest(algo)
		}
		out[algo] = got
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

func errBadDigest(algo string) *APIError {
	return &APIError{Status: http.StatusBadRequest, Code: "BadDigest",
		Message: "The " + algo + " you specified did not match the calculated checksum."}
}

// compositeChecksum is the COMPOSITE checksum of parts under algo, if every
// part has one.
func compositeChecksum(algo string, parts []partRecord) (string, bool) {
	h := newChecksum(algo)
	if h == nil {
		return "", false
	}
	for _, p := range parts {
		raw, err := base64.StdEncoding.DecodeString(p.Checksums[algo])
		if err != nil || len(raw) == 0 {
			return "", false
		}
		h.Write(raw)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + itoa(len(parts)), true
}

// setChecksumHeaders writes rec's checksums as response headers.
func setChecksumHeaders(h http.Header, sums map[string]string, typ string) {
	algos := make([]string, 0, len(sums))
	for a := range sums {
		algos = append(algos, a)
	}
	sort.Strings(algos)
	for _, a := range algos {
		h[checksumHeader(a)] = []string{sums[a]}
	}
	if len(algos) > 0 {
		if typ == "" {
			typ = "FULL_OBJECT"
		}
		h["x-amz-checksum-type"] = []string{typ}
	}
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func mustHex(s string) []byte {
	b, _ := hex.DecodeString(s)
	return b
}
