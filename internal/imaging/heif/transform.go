package heif

import "image"

// HEIF orients an image with its transformative properties (ISO/IEC
// 23008-12 §6.5.10-§6.5.12), never with EXIF: the Orientation tag of an
// Exif item is informative only, and readers that applied both would
// rotate twice. Layout folds the irot/imir/clap list, in ipma order, into
// a crop of the decoded image followed by one of the eight EXIF
// orientations, which is what imgflow's pipeline applies.

// Layout is where the displayed image comes from in the decoded one.
type Layout struct {
	// Crop is the clean aperture in decoded coordinates (the whole image
	// when there is no clap).
	Crop image.Rectangle
	// Orientation is the EXIF orientation (1..8) equal to the image's
	// irot and imir properties: apply it to the cropped image.
	Orientation int
	// Width and Height are the displayed size.
	Width, Height int
}

// mat is a signed permutation matrix in y-down pixel coordinates, mapping
// decoded coordinates to displayed ones (translation aside).
type mat [4]int8

// orientMats[o] is EXIF orientation o as a matrix (index 0 unused).
var orientMats = [9]mat{
	{},
	{1, 0, 0, 1},   // 1: identity
	{-1, 0, 0, 1},  // 2: mirror left-right
	{-1, 0, 0, -1}, // 3: rotate 180°
	{1, 0, 0, -1},  // 4: mirror top-bottom
	{0, 1, 1, 0},   // 5: transpose
	{0, -1, 1, 0},  // 6: rotate 90° clockwise
	{0, -1, -1, 0}, // 7: transverse
	{0, 1, -1, 0},  // 8: rotate 90° anticlockwise
}

func (a mat) mul(b mat) mat {
	return mat{
		a[0]*b[0] + a[1]*b[2], a[0]*b[1] + a[1]*b[3],
		a[2]*b[0] + a[3]*b[2], a[2]*b[1] + a[3]*b[3],
	}
}

func orientationOf(m mat) int {
	for o := 1; o <= 8; o++ {
		if orientMats[o] == m {
			return o
		}
	}
	return 1 // unreachable: the eight matrices form a group
}

// transformMat is an irot or imir property as a matrix.
func transformMat(t Transform) mat {
	if t.Kind == Mirror {
		if t.Mode == 0 {
			return orientMats[4] // top-bottom
		}
		return orientMats[2] // left-right
	}
	switch t.Angle {
	case 90:
		return orientMats[8]
	case 180:
		return orientMats[3]
	case 270:
		return orientMats[6]
	}
	return orientMats[1]
}

// displayToStored maps the displayed pixel (x, y) of an image stored as
// w×h and shown with orientation o back to its stored coordinates.
func displayToStored(o, w, h, x, y int) (int, int) {
	switch o {
	case 2:
		return w - 1 - x, y
	case 3:
		return w - 1 - x, h - 1 - y
	case 4:
		return x, h - 1 - y
	case 5:
		return y, x
	case 6:
		return y, h - 1 - x
	case 7:
		return w - 1 - y, h - 1 - x
	case 8:
		return w - 1 - y, x
	}
	return x, y
}

func swapsAxes(o int) bool { return o >= 5 }

// computeLayout folds transforms over a decoded w×h image.
func computeLayout(w, h int, ts []Transform) (Layout, error) {
	m := orientMats[1]
	crop := image.Rect(0, 0, w, h)
	for _, t := range ts {
		o := orientationOf(m)
		if t.Kind != Crop {
			m = transformMat(t).mul(m)
			continue
		}
		cw, ch := crop.Dx(), crop.Dy()
		if swapsAxes(o) {
			cw, ch = ch, cw
		}
		x0, y0, x1, y1, ok := t.Clap.rect(cw, ch)
		if !ok {
			return Layout{}, formatErr("clap: clean aperture is empty or outside the image")
		}
		ax, ay := displayToStored(o, crop.Dx(), crop.Dy(), x0, y0)
		bx, by := displayToStored(o, crop.Dx(), crop.Dy(), x1-1, y1-1)
		r := image.Rect(min(ax, bx), min(ay, by), max(ax, bx)+1, max(ay, by)+1)
		crop = r.Add(crop.Min)
	}
	l := Layout{Crop: crop, Orientation: orientationOf(m), Width: crop.Dx(), Height: crop.Dy()}
	if swapsAxes(l.Orientation) {
		l.Width, l.Height = l.Height, l.Width
	}
	return l, nil
}
