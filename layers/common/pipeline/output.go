package pipeline

import (
	"errors"
	"strings"
	"unicode/utf8"
)

// OutputScheme names the mapping from a source key to its output folder. It
// is written into every manifest, so a consumer can tell how the folder was
// derived; a change to EscapeKey must come with a new name.
const OutputScheme = "escaped-key-v1"

// ManifestName is the manifest's file name inside an output folder.
const ManifestName = "manifest.json"

// OutputDir is the folder that holds a source's variants and manifest:
// <prefix>/<EscapeKey(sourceKey)>. The whole key is kept, extension
// included, so uploads/photo.jpg and uploads/photo.png get folders of their
// own. Distinct keys always get distinct folders (EscapeKey is reversible),
// and the folder never has an empty, "." or ".." segment, so no key can
// climb out of the prefix or into another source's folder.
//
// The prefix is the operator's OUTPUT_PREFIX and is trusted; surrounding
// slashes are trimmed. An empty key (which S3 does not allow) maps to the
// prefix itself.
func OutputDir(prefix, sourceKey string) string {
	prefix = strings.Trim(prefix, "/")
	escaped := EscapeKey(sourceKey)
	switch {
	case prefix == "":
		return escaped
	case escaped == "":
		return prefix
	}
	return prefix + "/" + escaped
}

// OutputKey is the key of the file name in the output folder dir. The name
// is escaped like a key segment and every slash in it is escaped too, so an
// output key is always <dir>/<one segment>: two different folders can never
// produce the same key.
func OutputKey(dir, name string) string {
	var b strings.Builder
	b.Grow(len(dir) + 1 + len(name))
	if dir != "" {
		b.WriteString(dir)
		b.WriteByte('/')
	}
	escape(&b, name, true)
	return b.String()
}

// VariantKey is where a variant is stored: <OutputDir>/<preset>.<ext>.
func VariantKey(prefix, sourceKey, preset, ext string) string {
	return OutputKey(OutputDir(prefix, sourceKey), preset+"."+ext)
}

// ManifestKey is where the manifest is stored, beside the variants.
func ManifestKey(prefix, sourceKey string) string {
	return OutputKey(OutputDir(prefix, sourceKey), ManifestName)
}

// OutputPrefixOf returns the prefix p for which OutputDir(p, sourceKey) is
// dir, and false when dir is not sourceKey's folder under any prefix. Steps
// that are handed a folder (store, resize) check it with this instead of
// trusting it.
func OutputPrefixOf(dir, sourceKey string) (string, bool) {
	escaped := EscapeKey(sourceKey)
	var prefix string
	switch {
	case dir == escaped:
	case strings.HasSuffix(dir, "/"+escaped):
		prefix = strings.TrimSuffix(dir, "/"+escaped)
	default:
		return "", false
	}
	return prefix, OutputDir(prefix, sourceKey) == dir
}

// EscapeKey percent-encodes (as %XX, upper-case hex) the bytes of an S3
// key that would make it unusable or ambiguous as a folder path:
//
//   - '%' itself, so that percent-decoding the result (url.PathUnescape,
//     decodeURIComponent) gives back the key exactly: the mapping is
//     reversible, hence injective;
//   - a '/' that would start an empty segment: at the start, after another
//     '/', or at the end of the key;
//   - the last character of a segment when it is '.' or ' ' (so no segment
//     is "." or "..", and none ends in what Windows strips from names);
//   - control characters, the characters Windows refuses in names
//     (\ : * ? " < > |) and bytes that are not UTF-8, so the result is a
//     valid S3 key and the folder can be synced to any file system.
//
// Everything else (letters in any script, spaces, '+', '#', ...) is kept,
// so a typical key reads unchanged: uploads/My photo.jpg stays as it is.
func EscapeKey(key string) string {
	var b strings.Builder
	b.Grow(len(key) + 8)
	escape(&b, key, false)
	return b.String()
}

// UnescapeKey reverses EscapeKey (it is plain percent-decoding).
func UnescapeKey(escaped string) (string, error) {
	var b strings.Builder
	b.Grow(len(escaped))
	for i := 0; i < len(escaped); i++ {
		c := escaped[i]
		if c != '%' {
			b.WriteByte(c)
			continue
		}
		if i+2 >= len(escaped) || unhex(escaped[i+1]) < 0 || unhex(escaped[i+2]) < 0 {
			return "", errBadEscape
		}
		b.WriteByte(byte(unhex(escaped[i+1])<<4 | unhex(escaped[i+2])))
		i += 2
	}
	return b.String(), nil
}

var errBadEscape = errors.New("pipeline: '%' not followed by two hex digits")

const upperHex = "0123456789ABCDEF"

// escape writes s escaped as EscapeKey describes; allSlashes escapes every
// '/', for a name that must stay one segment.
func escape(b *strings.Builder, s string, allSlashes bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			if r, size := utf8.DecodeRuneInString(s[i:]); r != utf8.RuneError || size > 1 {
				b.WriteString(s[i : i+size])
				i += size
				continue
			}
			writeEscaped(b, c) // not UTF-8
			i++
			continue
		}
		var esc bool
		switch {
		case c == '/':
			esc = allSlashes || i == 0 || s[i-1] == '/' || i == len(s)-1
		case c == '.' || c == ' ':
			esc = endsSegment(s, i, allSlashes)
		default:
			esc = c == '%' || c < 0x20 || c == 0x7F || strings.IndexByte(`\:*?"<>|`, c) >= 0
		}
		if esc {
			writeEscaped(b, c)
		} else {
			b.WriteByte(c)
		}
		i++
	}
}

// endsSegment reports whether s[i] is the last byte of its segment in the
// output: the end of s, or just before a '/' that stays a separator.
func endsSegment(s string, i int, allSlashes bool) bool {
	if i == len(s)-1 {
		return true
	}
	// The next slash stays literal unless it is the last byte of s (s[i]
	// is not a slash, so it is not "after another slash").
	return !allSlashes && s[i+1] == '/' && i+1 != len(s)-1
}

func writeEscaped(b *strings.Builder, c byte) {
	b.WriteByte('%')
	b.WriteByte(upperHex[c>>4])
	b.WriteByte(upperHex[c&0x0F])
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
