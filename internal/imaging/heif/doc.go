// Package heif reads the HEIF container (ISO/IEC 23008-12, on the ISO base
// media file format ISO/IEC 14496-12) as iPhones and libheif write it, in
// pure Go: brands, the meta box and its items, and the primary image with
// its grid, transforms, colour, alpha plane and Exif item. The HEVC
// bitstream inside the items is decoded by a Codec (package hevc); this
// package assembles what the codec returns.
//
// What is read: ftyp brands heic, heix, mif1 and msf1 (avif and avis are
// refused as *UnsupportedError with Format "avif"); meta with hdlr (pict),
// pitm, iinf (infe versions 2 and 3), iloc (versions 0 to 2; construction
// methods 0, file offset, and 1, idat; method 2 is *UnsupportedError when
// the item is read), iref (16- and 32-bit ids; dimg, auxl, cdsc, thmb,
// prem), idat, and iprp with ipco and ipma (7- and 15-bit indices,
// essential flags; an unknown essential property makes its item
// unsupported). Properties: ispe, hvcC, colr (nclx, prof, rICC), pixi, auxC,
// irot, imir, clap. Items: hvc1, grid (§6.6.2.3: rows×columns tiles, all of
// one size, cropped to the output size), iden, Exif and XMP. Thumbnails,
// depth maps, HDR gain maps and other auxiliary images are ignored.
//
// Orientation: HEIF orients with irot, imir and clap in ipma order; the
// Exif item's Orientation tag is informative and must not be applied as
// well. Layout folds the transforms into a crop of the decoded picture and
// one EXIF orientation, which is what the imaging pipeline applies. imir
// follows ISO/IEC 23008-12 Amd 2 (mode 0 exchanges top and bottom), as
// iPhones and libheif do; clap is rounded and clamped as libheif does.
//
// Files: parse.go (Options, File, top-level boxes, ftyp, meta), items.go
// (iinf, iloc, iref, ItemData), props.go (ipco, ipma, property values),
// image.go (PrimaryImage: grids, iden, alpha, metadata items),
// transform.go (Layout), hvcc.go (hvcC and NAL unit framing), probe.go
// (Probe from a sequential source, Info), decode.go (Codec, tile assembly),
// reader.go (box and field reading), errors.go.
//
// Input policy: every size, count and offset read from the file is checked
// before use, and every allocation is bounded before it is made: by
// Options (MaxPixels for the primary image, MaxMetaSize for the meta box,
// which is read whole, MaxItems, MaxTiles, MaxRefs), by the bytes actually
// present (counts are checked against the remaining payload; item data
// never exceeds the file), or by the format (a grid has at most 256×256
// tiles, each row and column of which must reach into the output, so the
// decoded tile area is at most about twice the output and is checked
// against 2×MaxPixels). Reference loops (a grid using itself, iden
// cycles) and derivations deeper than 8 are *FormatError; only known
// container boxes are descended into, so nesting depth is bounded by the
// format, not by the input. Errors: *FormatError (an end of input inside a
// structure wraps io.ErrUnexpectedEOF), *UnsupportedError, *LimitError;
// read errors of the source are returned unchanged. Nothing panics on any
// input (FuzzParse, FuzzDecode).
package heif
