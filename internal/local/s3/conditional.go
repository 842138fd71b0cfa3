package s3

import "strings"

// etagMatches reports whether an If-Match / If-None-Match header value
// (a comma-separated list of quoted ETags, weak ETags or "*") matches etag
// (unquoted).
func etagMatches(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		t = strings.TrimPrefix(t, "W/")
		if strings.Trim(t, `"`) == etag {
			return true
		}
	}
	return false
}
