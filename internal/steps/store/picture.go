package store

import (
	"fmt"
	"html"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/imgflow/imgflow/internal/imaging"
	"github.com/imgflow/imgflow/layers/common/pipeline"
)

// fallbackOrder ranks the formats an <img> can fall back to: every browser
// shows JPEG, PNG and GIF; WebP is the fallback only when a preset set has
// nothing else.
var fallbackOrder = []imaging.Format{imaging.JPEG, imaging.PNG, imaging.GIF, imaging.WebP}

// fileSet is one format's files across the sizes.
type fileSet struct {
	format imaging.Format
	files  []sizedFile // by width, one per width
}

type sizedFile struct {
	key           string
	width, height int
}

// byFormat groups the files of sorted (by width) variants by format, in
// fallbackOrder. Sizes that come out at the same width (a small source is
// never upscaled) appear once, as the first preset at that width.
func byFormat(sorted []pipeline.Variant) []fileSet {
	var sets []fileSet
	for _, f := range fallbackOrder {
		set := fileSet{format: f}
		for _, v := range sorted {
			for _, file := range v.Files {
				if imaging.Format(file.Format) != f {
					continue
				}
				if n := len(set.files); n > 0 && set.files[n-1].width == v.Width {
					continue
				}
				set.files = append(set.files, sizedFile{key: file.Key, width: v.Width, height: v.Height})
			}
		}
		if len(set.files) > 0 {
			sets = append(sets, set)
		}
	}
	return sets
}

// fallbackSet is the set the <img> uses: the first in fallbackOrder.
func fallbackSet(sets []fileSet) fileSet {
	if len(sets) == 0 {
		return fileSet{}
	}
	return sets[0]
}

// Srcset lists one format's files of variants (sorted by width) as an HTML
// srcset, with names relative to the manifest's folder. Presets that come
// out at the same width appear once.
func Srcset(sorted []pipeline.Variant, format imaging.Format) string {
	for _, set := range byFormat(sorted) {
		if set.format == format {
			return set.srcset(func(key string) string { return fileName(key) })
		}
	}
	return ""
}

func (s fileSet) srcset(url func(key string) string) string {
	parts := make([]string, len(s.files))
	for i, f := range s.files {
		parts[i] = url(f.key) + " " + strconv.Itoa(f.width) + "w"
	}
	return strings.Join(parts, ", ")
}

// Picture builds the <picture> element for variants sorted by width: a
// <source type="image/webp"> (and one for any other format that is not the
// fallback), then an <img> whose srcset is the fallback format (JPEG, or PNG
// for a source with alpha), src its largest file, width and height those of
// the largest variant (so the page reserves the box before loading), sizes
// "as wide as the viewport up to the natural width", and alt="" for the page
// to fill. URLs are baseURL plus the key with each segment path-escaped (so
// spaces, '%', ',' and non-ASCII keys survive srcset parsing), and every
// attribute is HTML-escaped.
func Picture(sorted []pipeline.Variant, baseURL string) pipeline.Picture {
	sets := byFormat(sorted)
	fb := fallbackSet(sets)
	if len(fb.files) == 0 {
		return pipeline.Picture{}
	}
	largest := fb.files[len(fb.files)-1]
	sizes := fmt.Sprintf("(max-width: %dpx) 100vw, %dpx", largest.width, largest.width)
	toURL := func(key string) string { return ObjectURL(baseURL, key) }
	p := pipeline.Picture{BaseURL: baseURL, Sizes: sizes, Width: largest.width, Height: largest.height}
	var b strings.Builder
	b.WriteString("<picture>")
	// Sources in the order a browser should prefer them: WebP first.
	order := slices.Clone(sets[1:])
	slices.SortStableFunc(order, func(a, b fileSet) int {
		return boolInt(b.format == imaging.WebP) - boolInt(a.format == imaging.WebP)
	})
	for _, s := range order {
		srcset := s.srcset(toURL)
		p.Sources = append(p.Sources, pipeline.PictureSource{Type: s.format.ContentType(), Srcset: srcset})
		fmt.Fprintf(&b, `<source type="%s" srcset="%s" sizes="%s">`,
			html.EscapeString(s.format.ContentType()), html.EscapeString(srcset), html.EscapeString(sizes))
	}
	srcset := fb.srcset(toURL)
	p.Sources = append(p.Sources, pipeline.PictureSource{Type: fb.format.ContentType(), Srcset: srcset, Fallback: true})
	fmt.Fprintf(&b, `<img src="%s" srcset="%s" sizes="%s" width="%d" height="%d" alt="">`,
		html.EscapeString(toURL(largest.key)), html.EscapeString(srcset), html.EscapeString(sizes), largest.width, largest.height)
	b.WriteString("</picture>")
	p.HTML = b.String()
	return p
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ObjectURL is the URL of an output key under baseURL: each key segment is
// path-escaped (the escaped-key-v1 '%' becomes %25, as the key holds it
// literally). An empty baseURL gives a URL relative to the bucket root.
func ObjectURL(baseURL, key string) string {
	segs := strings.Split(key, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	p := strings.Join(segs, "/")
	if baseURL == "" {
		return p
	}
	return strings.TrimSuffix(baseURL, "/") + "/" + p
}

// checkBaseURL accepts an absolute http(s) URL or a path from the site's
// root, without query or fragment (the key is appended to it).
func checkBaseURL(s string) error {
	if s == "" {
		return nil
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Errorf("PUBLIC_BASE_URL %q: %w", s, err)
	case u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return fmt.Errorf("PUBLIC_BASE_URL %q: no query or fragment allowed", s)
	case u.Scheme == "" && u.Host == "" && strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//"):
		return nil
	case (u.Scheme == "https" || u.Scheme == "http") && u.Host != "":
		return nil
	}
	return fmt.Errorf("PUBLIC_BASE_URL %q: want https://host[/path] or /path", s)
}
