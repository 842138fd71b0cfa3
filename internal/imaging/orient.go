package imaging

import "image"

// orient applies EXIF orientation o (CIPA DC-008 Orientation tag, 1..8) to m,
// returning the image as it should be displayed. Values outside 2..8 return m.
//
//	1 normal            2 mirror horizontal   3 rotate 180        4 mirror vertical
//	5 transpose         6 rotate 90 CW        7 transverse        8 rotate 90 CCW
//
// For a stored pixel (sx, sy) of a W×H image the displayed position is:
// 2 (W-1-sx, sy); 3 (W-1-sx, H-1-sy); 4 (sx, H-1-sy); 5 (sy, sx);
// 6 (H-1-sy, sx); 7 (H-1-sy, W-1-sx); 8 (sy, W-1-sx).
func orient(m *image.NRGBA, o int) *image.NRGBA {
	if o < 2 || o > 8 {
		return m
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	dw, dh := w, h
	if swapsAxes(o) {
		dw, dh = h, w
	}
	out := image.NewNRGBA(image.Rect(0, 0, dw, dh))
	for sy := 0; sy < h; sy++ {
		row := m.Pix[sy*m.Stride : sy*m.Stride+4*w]
		for sx := 0; sx < w; sx++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-sx, sy
			case 3:
				dx, dy = w-1-sx, h-1-sy
			case 4:
				dx, dy = sx, h-1-sy
			case 5:
				dx, dy = sy, sx
			case 6:
				dx, dy = h-1-sy, sx
			case 7:
				dx, dy = h-1-sy, w-1-sx
			case 8:
				dx, dy = sy, w-1-sx
			}
			d := dy*out.Stride + 4*dx
			copy(out.Pix[d:d+4:d+4], row[4*sx:4*sx+4])
		}
	}
	return out
}
