// Package imaging is imgflow's image engine: it sniffs and probes uploads,
// decodes them (JPEG, PNG, GIF first frame, WebP), applies EXIF orientation,
// converts every colour model to 8-bit sRGB, resizes with a separable
// Lanczos3 filter and encodes the result without any metadata.
//
// The work is declared once as a pipeline of small steps (see pipeline.go);
// Process runs them in order and checks ctx.Err() between steps. Decoding goes
// through a per-format decodeFunc that is told the target size, so a scaled
// (DCT-domain) JPEG decoder can later shrink on load behind the same API.
//
// Files: format.go (Sniff), probe*.go (headers, one file per format),
// exif.go (TIFF/EXIF), decode.go (decoder table, error mapping), pipeline.go
// and the step files plan.go, limits.go, decode_step.go, flatten.go,
// encode.go; convert.go (colour models to sRGB rows), resample.go (Lanczos3),
// orient.go (EXIF orientations), fit.go (output size rule), icc.go
// (embedded matrix/TRC RGB profiles such as Display P3 or Adobe RGB, and
// gray tone curves, are converted to sRGB after resizing), icc_lut.go
// (LUT-based CMYK profiles such as U.S. Web Coated (SWOP) convert CMYK rows
// before resizing; other profiles are ignored).
//
// The package has no AWS code and no cgo.
package imaging
