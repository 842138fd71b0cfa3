package imaging

import (
	"github.com/imgflow/imgflow/internal/imaging/heif"
)

// HEIF (ISO/IEC 23008-12) header reading for HEIC: package heif reads ftyp
// and meta (items, properties, the grid descriptor) from the sequential
// source and, when it lies within reach, the Exif item. Nothing is decoded.
//
// The size is the clean aperture of the primary image (ispe, or the grid's
// output size, cropped by clap) in stored orientation, and the orientation
// is what irot and imir say: HEIF orients with those properties, and the
// Exif item's Orientation tag is informative only (applying it as well
// would rotate twice), so the Exif item is read for GPS presence alone.

// probeHEIF fills info from the HEIF header. maxPixels is passed to the
// container, which refuses a larger primary image before reading further.
func probeHEIF(p *probeReader, info *Info, maxPixels int64) error {
	hi, err := heif.Probe(p.r, &heif.Options{MaxPixels: maxPixels})
	if p.src.err != nil {
		return p.src.err
	}
	if err != nil {
		return heicError(err)
	}
	info.Width, info.Height = hi.Width, hi.Height
	info.Orientation = hi.Orientation
	if info.Orientation < 1 || info.Orientation > 8 {
		info.Orientation = 1
	}
	info.HasAlpha = hi.HasAlpha
	switch {
	case hi.ChromaFormat == 0 && hi.HasAlpha:
		info.ColorModel = ModelGrayAlpha
	case hi.ChromaFormat == 0:
		info.ColorModel = ModelGray
	default:
		info.ColorModel = ModelYCbCr
	}
	if hi.Color.ICC != nil {
		info.HasICC = true
		p.icc = hi.Color.ICC
	} else if n := hi.Color.NCLX; n != nil && hi.ChromaFormat != 0 {
		p.primaries = primariesTransform(int(n.Primaries))
	}
	info.HasEXIF = hi.HasEXIF
	if hi.Exif != nil {
		d, _ := parseEXIF(hi.Exif) // its Orientation is not applied (see above)
		info.HasGPS = d.HasGPS
	}
	return p.checkSize(info)
}
