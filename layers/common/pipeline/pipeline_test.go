package pipeline

import "testing"

func TestKeys(t *testing.T) {
	tests := []struct {
		name, prefix, key, preset, ext string
		wantVariant, wantManifest      string
	}{
		{name: "prefix and extension", prefix: "variants", key: "uploads/cat.jpg", preset: "xl", ext: "jpg",
			wantVariant: "variants/uploads/cat/xl.jpg", wantManifest: "variants/uploads/cat/manifest.json"},
		{name: "slashes trimmed", prefix: "/variants/", key: "uploads/a.b.png", preset: "md", ext: "png",
			wantVariant: "variants/uploads/a.b/md.png", wantManifest: "variants/uploads/a.b/manifest.json"},
		{name: "no prefix no extension", prefix: "", key: "uploads/raw", preset: "thumb", ext: "jpg",
			wantVariant: "uploads/raw/thumb.jpg", wantManifest: "uploads/raw/manifest.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VariantKey(tt.prefix, tt.key, tt.preset, tt.ext); got != tt.wantVariant {
				t.Errorf("VariantKey = %q, want %q", got, tt.wantVariant)
			}
			if got := ManifestKey(tt.prefix, tt.key); got != tt.wantManifest {
				t.Errorf("ManifestKey = %q, want %q", got, tt.wantManifest)
			}
		})
	}
}
