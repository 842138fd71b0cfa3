package imaging

import (
	"errors"
	"io"
	"testing"
)

func TestSniff(t *testing.T) {
	tests := []struct {
		name        string
		header      string
		want        Format
		unsupported string // expected UnsupportedError.Format
		formatErr   bool
		unexpEOF    bool
	}{
		{name: "jpeg", header: "\xff\xd8\xff\xe0\x00\x10JFIF", want: JPEG},
		{name: "png", header: "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", want: PNG},
		{name: "gif87a", header: "GIF87a\x01\x00", want: GIF},
		{name: "gif89a", header: "GIF89a\x01\x00", want: GIF},
		{name: "webp", header: "RIFF\x24\x00\x00\x00WEBPVP8 ", want: WebP},
		{name: "heic", header: "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", want: HEIC},
		{name: "heif mif1", header: "\x00\x00\x00\x10ftypmif1\x00\x00\x00\x00", want: HEIC},
		{name: "heix", header: "\x00\x00\x00\x14ftypheix\x00\x00\x00\x00mif1", want: HEIC},
		{name: "msf1", header: "\x00\x00\x00\x14ftypmsf1\x00\x00\x00\x00hevc", want: HEIC},
		{name: "avif", header: "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf", unsupported: "avif"},
		{name: "avif compatible brand", header: "\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00avifmif1miaf", unsupported: "avif"},
		{name: "tiff le", header: "II*\x00\x08\x00\x00\x00", unsupported: "tiff"},
		{name: "tiff be", header: "MM\x00*\x00\x00\x00\x08", unsupported: "tiff"},
		{name: "bmp", header: "BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00\x00\x00", unsupported: "bmp"},
		{name: "text starting with BM", header: "BMW is a car brand, not a bitmap", formatErr: true},
		{name: "pdf", header: "%PDF-1.7\n", unsupported: "pdf"},
		{name: "svg", header: "<svg xmlns=\"http://www.w3.org/2000/svg\">", unsupported: "svg"},
		{name: "svg with bom and xml decl", header: "\xef\xbb\xbf  <?xml version=\"1.0\"?><svg>", unsupported: "svg"},
		{name: "ico", header: "\x00\x00\x01\x00\x01\x00\x10\x10", unsupported: "ico"},
		{name: "jxl codestream", header: "\xff\x0a\xfa\x7f", unsupported: "jxl"},
		{name: "jxl container", header: "\x00\x00\x00\x0cJXL \r\n\x87\n", unsupported: "jxl"},
		{name: "psd", header: "8BPS\x00\x01", unsupported: "psd"},
		{name: "text named .jpg", header: "hello, this is not an image\n", formatErr: true},
		{name: "html", header: "<!doctype html><html>", formatErr: true},
		{name: "empty", header: "", formatErr: true, unexpEOF: true},
		{name: "two jpeg bytes", header: "\xff\xd8", formatErr: true, unexpEOF: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Sniff([]byte(tt.header))
			var ue *UnsupportedError
			var fe *FormatError
			switch {
			case tt.unsupported != "":
				if !errors.As(err, &ue) || ue.Format != tt.unsupported {
					t.Fatalf("Sniff = %q, %v; want UnsupportedError %q", got, err, tt.unsupported)
				}
			case tt.formatErr:
				if !errors.As(err, &fe) {
					t.Fatalf("Sniff = %q, %v; want FormatError", got, err)
				}
				if tt.unexpEOF != errors.Is(err, io.ErrUnexpectedEOF) {
					t.Errorf("errors.Is(err, io.ErrUnexpectedEOF) = %v, want %v", !tt.unexpEOF, tt.unexpEOF)
				}
			default:
				if err != nil || got != tt.want {
					t.Fatalf("Sniff = %q, %v; want %q", got, err, tt.want)
				}
			}
		})
	}
}

func TestFormatNames(t *testing.T) {
	tests := []struct {
		name     string
		f        Format
		ext, typ string
	}{
		{"jpeg", JPEG, "jpg", "image/jpeg"},
		{"png", PNG, "png", "image/png"},
		{"gif", GIF, "gif", "image/gif"},
		{"webp", WebP, "webp", "image/webp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.f.Extension(); got != tt.ext {
				t.Errorf("Extension() = %q, want %q", got, tt.ext)
			}
			if got := tt.f.ContentType(); got != tt.typ {
				t.Errorf("ContentType() = %q, want %q", got, tt.typ)
			}
		})
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		name               string
		w, h, long, ww, wh int
	}{
		{"12MP landscape to 2048", 4032, 3024, 2048, 2048, 1536},
		{"12MP landscape to 256", 4032, 3024, 256, 256, 192},
		{"portrait", 3024, 4032, 2048, 1536, 2048},
		{"24MP 3:2 rounds 1365.33 down", 6000, 4000, 2048, 2048, 1365},
		{"rounds 666.67 up", 3000, 2000, 1000, 1000, 667},
		{"half rounds up", 4, 1, 2, 2, 1},
		{"half rounds up 2", 200, 3, 100, 100, 2},
		{"square", 5000, 5000, 300, 300, 300},
		{"thin keeps min 1", 10000, 1, 100, 100, 1},
		{"smaller never upscaled", 640, 480, 2048, 640, 480},
		{"equal unchanged", 2048, 1000, 2048, 2048, 1000},
		{"long side zero keeps size", 800, 600, 0, 800, 600},
		{"invalid size", 0, 600, 100, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w, h := Fit(tt.w, tt.h, tt.long)
			if w != tt.ww || h != tt.wh {
				t.Fatalf("Fit(%d,%d,%d) = %dx%d, want %dx%d", tt.w, tt.h, tt.long, w, h, tt.ww, tt.wh)
			}
		})
	}
}
