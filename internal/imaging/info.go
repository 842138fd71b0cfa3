package imaging

// Info describes an image as declared by its headers (see Probe).
type Info struct {
	Format        Format
	Width, Height int  // as stored
	Orientation   int  // EXIF 1..8 (1 when absent or invalid)
	HasAlpha      bool // declared in header (PNG colour type/tRNS, GIF transparency, WebP alpha flag)
	ColorModel    string
	Progressive   bool // progressive JPEG, interlaced PNG
	Animated      bool // GIF with a NETSCAPE2.0 loop extension, animated WebP, APNG (acTL)
	HasICC        bool
	HasEXIF       bool
	HasGPS        bool
}

// Colour model names used in Info.ColorModel.
const (
	ModelYCbCr     = "ycbcr"
	ModelGray      = "gray"
	ModelCMYK      = "cmyk"
	ModelYCCK      = "ycck"
	ModelRGB       = "rgb"
	ModelPaletted  = "paletted"
	ModelGrayAlpha = "gray-alpha"
	ModelRGBA      = "rgba"
)

// swapsAxes reports whether EXIF orientation o transposes the image (5..8).
func swapsAxes(o int) bool { return o >= 5 && o <= 8 }

// DisplaySize returns the size after orientation (5..8 swap width and height).
func (i Info) DisplaySize() (w, h int) {
	if swapsAxes(i.Orientation) {
		return i.Height, i.Width
	}
	return i.Width, i.Height
}

// Pixels returns Width*Height.
func (i Info) Pixels() int64 { return int64(i.Width) * int64(i.Height) }
