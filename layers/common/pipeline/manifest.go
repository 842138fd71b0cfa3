package pipeline

import "strings"

// Manifest is manifest.json, written beside the variants: what a web page
// needs to show the image (srcset, placeholder, colour) and what an operator
// needs to trace it (source version, execution, timings).
type Manifest struct {
	Version int `json:"version"`
	// OutputScheme names how Folder derives from Source.Key (OutputScheme,
	// EscapeKey): the folder is the output prefix plus the escaped key, so
	// percent-decoding what follows the prefix gives the source key back.
	OutputScheme string         `json:"outputScheme"`
	Folder       string         `json:"folder"` // key of the folder holding the manifest and variants, no trailing slash
	Source       ManifestSource `json:"source"`
	// PresetsDigest (version 4) is presets.Digest of the presets the
	// variants were made with. With Source's VersionID and ETag it tells a
	// reprocess whether this manifest is current (Matches).
	PresetsDigest string `json:"presetsDigest,omitempty"`
	// Variants has one entry per stored file: every format of every size,
	// sorted by width, then preset, then the preset's format order.
	Variants []ManifestVariant `json:"variants"`
	// Srcset lists the fallback format's files (JPEG, or PNG for a source
	// with alpha) by width, with names relative to Folder, as in version 2.
	Srcset       string      `json:"srcset"`
	Picture      Picture     `json:"picture"`
	Placeholder  Placeholder `json:"placeholder"`
	Dominant     string      `json:"dominantColor"` // #rrggbb
	Timings      Timings     `json:"timings"`
	ExecutionARN string      `json:"executionArn"`
	CreatedAt    string      `json:"createdAt"`
}

// ManifestSource is the original, as processed.
type ManifestSource struct {
	Bucket      string `json:"bucket"`
	Key         string `json:"key"`
	VersionID   string `json:"versionId,omitempty"`
	ETag        string `json:"etag,omitempty"`
	Format      string `json:"format"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
	Orientation int    `json:"orientation"`
}

// ManifestVariant is one stored variant. Name is the key relative to the
// manifest, so the folder can be served or moved as a whole.
type ManifestVariant struct {
	Preset      string `json:"preset"`
	Name        string `json:"name"`
	Key         string `json:"key"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
	Format      string `json:"format"`
	ContentType string `json:"contentType"`
}

// Picture is a ready responsive <picture> element: one <source> per modern
// format (WebP) and an <img> with the fallback format's srcset. Its URLs
// are BaseURL followed by each key, path-escaped; with no BaseURL they are
// relative to the output bucket's root.
type Picture struct {
	HTML    string          `json:"html"`
	BaseURL string          `json:"baseUrl,omitempty"` // the store function's PUBLIC_BASE_URL
	Sources []PictureSource `json:"sources"`           // the <source> elements in order, then the <img>'s
	Sizes   string          `json:"sizes"`
	Width   int             `json:"width"` // of the largest variant, for the <img>'s width and height
	Height  int             `json:"height"`
}

// PictureSource is the srcset of one format.
type PictureSource struct {
	Type     string `json:"type"`               // e.g. image/webp
	Srcset   string `json:"srcset"`             // URLs with width descriptors, smallest first
	Fallback bool   `json:"fallback,omitempty"` // the <img>'s srcset rather than a <source>
}

// Placeholder is a tiny stand-in shown while the real image loads.
type Placeholder struct {
	ThumbHash string `json:"thumbhash"` // base64
	DataURI   string `json:"dataUri"`   // the ThumbHash rendered as a small PNG
}

// Timings are in milliseconds.
type Timings struct {
	ValidateMs int64            `json:"validateMs"`
	ResizeMs   map[string]int64 `json:"resizeMs"` // by preset
	StoreMs    int64            `json:"storeMs"`
	TotalMs    int64            `json:"totalMs"` // execution start to manifest written
}

// Matches reports whether m describes the outputs of exactly this source
// version made with exactly these presets: the same version id and ETag
// (quotes aside; an unversioned bucket has no version id, so the ETag
// decides) and the same presets digest, in the current output scheme. A
// manifest from before version 4 has no digest and never matches, so a
// reprocess remakes it once.
func (m *Manifest) Matches(versionID, etag, presetsDigest string) bool {
	return m.OutputScheme == OutputScheme && m.PresetsDigest != "" && m.PresetsDigest == presetsDigest &&
		m.Source.VersionID == versionID && unquote(m.Source.ETag) == unquote(etag) && unquote(etag) != ""
}

func unquote(etag string) string { return strings.Trim(etag, `"`) }
