package pipeline

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/quick"
	"unicode/utf8"
)

func TestKeys(t *testing.T) {
	tests := []struct {
		name, prefix, key, preset, ext string
		wantVariant, wantManifest      string
	}{
		{name: "extension kept", prefix: "variants", key: "uploads/cat.jpg", preset: "xl", ext: "jpg",
			wantVariant: "variants/uploads/cat.jpg/xl.jpg", wantManifest: "variants/uploads/cat.jpg/manifest.json"},
		{name: "prefix slashes trimmed", prefix: "/variants/", key: "uploads/a.b.png", preset: "md", ext: "png",
			wantVariant: "variants/uploads/a.b.png/md.png", wantManifest: "variants/uploads/a.b.png/manifest.json"},
		{name: "no prefix no extension", prefix: "", key: "uploads/raw", preset: "thumb", ext: "jpg",
			wantVariant: "uploads/raw/thumb.jpg", wantManifest: "uploads/raw/manifest.json"},
		{name: "name is one segment", prefix: "variants", key: "uploads/a.jpg", preset: "../x", ext: "jpg",
			wantVariant: "variants/uploads/a.jpg/..%2Fx.jpg", wantManifest: "variants/uploads/a.jpg/manifest.json"},
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

// TestOutputDir pins the scheme on the keys that broke the old one: names
// that differ only in their extension, keys with "..", and the characters
// S3 allows but file systems and URLs treat specially.
func TestOutputDir(t *testing.T) {
	tests := []struct {
		name, key, want string
	}{
		{name: "jpg", key: "uploads/photo.jpg", want: "variants/uploads/photo.jpg"},
		{name: "png of the same stem", key: "uploads/photo.png", want: "variants/uploads/photo.png"},
		{name: "jpeg of the same stem", key: "uploads/photo.jpeg", want: "variants/uploads/photo.jpeg"},
		{name: "no extension", key: "uploads/photo", want: "variants/uploads/photo"},
		{name: "spaces kept inside a name", key: "uploads/my holiday/beach 1.jpg", want: "variants/uploads/my holiday/beach 1.jpg"},
		{name: "unicode kept", key: "uploads/café/日本.jpg", want: "variants/uploads/café/日本.jpg"},
		{name: "plus kept", key: "uploads/a+b.jpg", want: "variants/uploads/a+b.jpg"},
		{name: "percent escaped", key: "uploads/100%.jpg", want: "variants/uploads/100%25.jpg"},
		{name: "escaped-looking name stays distinct", key: "uploads/100%25.jpg", want: "variants/uploads/100%2525.jpg"},
		{name: "trailing dot", key: "uploads/photo.", want: "variants/uploads/photo%2E"},
		{name: "trailing dots in a folder", key: "uploads/draft../a.jpg", want: "variants/uploads/draft.%2E/a.jpg"},
		{name: "trailing space", key: "uploads/photo.jpg ", want: "variants/uploads/photo.jpg%20"},
		{name: "dot segment", key: "uploads/./a.jpg", want: "variants/uploads/%2E/a.jpg"},
		{name: "dot-dot climbing into another source", key: "uploads/../../variants/uploads/secret-photo.jpg",
			want: "variants/uploads/.%2E/.%2E/variants/uploads/secret-photo.jpg"},
		{name: "dot-dot climbing out of the bucket", key: "uploads/../../../../etc/passwd",
			want: "variants/uploads/.%2E/.%2E/.%2E/.%2E/etc/passwd"},
		{name: "double slash", key: "uploads//a.jpg", want: "variants/uploads/%2Fa.jpg"},
		{name: "leading slash", key: "/uploads/a.jpg", want: "variants/%2Fuploads/a.jpg"},
		{name: "folder marker", key: "uploads/", want: "variants/uploads%2F"},
		{name: "dot before a final slash", key: "uploads/a./", want: "variants/uploads/a.%2F"},
		{name: "control characters", key: "uploads/a\tb\x7f.jpg", want: "variants/uploads/a%09b%7F.jpg"},
		{name: "windows-reserved characters", key: `uploads/a:b*c?"<>|\d.jpg`, want: "variants/uploads/a%3Ab%2Ac%3F%22%3C%3E%7C%5Cd.jpg"},
		{name: "not UTF-8", key: "uploads/\xff.jpg", want: "variants/uploads/%FF.jpg"},
		{name: "empty key is the prefix", key: "", want: "variants"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := OutputDir("variants", tt.key)
			if got != tt.want {
				t.Errorf("OutputDir(%q) = %q, want %q", tt.key, got, tt.want)
			}
			if tt.key == "" {
				return
			}
			checkFolder(t, "variants", tt.key, got)
		})
	}
}

// checkFolder asserts the scheme's invariants for one key and its folder.
func checkFolder(t *testing.T, prefix, key, dir string) {
	t.Helper()
	rest, ok := strings.CutPrefix(dir, prefix+"/")
	if !ok {
		t.Fatalf("OutputDir(%q) = %q is not under %q", key, dir, prefix+"/")
	}
	if back, err := UnescapeKey(rest); err != nil || back != key {
		t.Errorf("UnescapeKey(%q) = %q, %v; want %q", rest, back, err, key)
	}
	if !utf8.ValidString(dir) {
		t.Errorf("OutputDir(%q) = %q is not UTF-8 (not a valid S3 key)", key, dir)
	}
	for _, seg := range strings.Split(dir, "/") {
		switch {
		case seg == "" || seg == "." || seg == "..":
			t.Errorf("OutputDir(%q) = %q has segment %q", key, dir, seg)
		case strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " "):
			t.Errorf("OutputDir(%q) = %q has segment %q ending in a dot or space", key, dir, seg)
		case strings.ContainsAny(seg, "\\:*?\"<>|\x7f"):
			t.Errorf("OutputDir(%q) = %q has a character file systems refuse in %q", key, dir, seg)
		}
		for _, r := range seg {
			if r < 0x20 {
				t.Errorf("OutputDir(%q) = %q has a control character", key, dir)
			}
		}
	}
	if p, ok := OutputPrefixOf(dir, key); !ok || p != prefix {
		t.Errorf("OutputPrefixOf(%q, %q) = %q, %v; want %q", dir, key, p, ok, prefix)
	}
	for _, name := range []string{ManifestName, "xl.jpg"} {
		k := OutputKey(dir, name)
		if d, n, _ := strings.Cut(k[len(dir):], "/"); d != "" || strings.Contains(n, "/") {
			t.Errorf("OutputKey(%q, %q) = %q is not the folder plus one segment", dir, name, k)
		}
	}
}

func TestOutputPrefixOf(t *testing.T) {
	tests := []struct {
		name, dir, key, wantPrefix string
		wantOK                     bool
	}{
		{name: "own folder", dir: "variants/uploads/a.jpg", key: "uploads/a.jpg", wantPrefix: "variants", wantOK: true},
		{name: "no prefix", dir: "uploads/a.jpg", key: "uploads/a.jpg", wantPrefix: "", wantOK: true},
		{name: "another source's folder", dir: "variants/uploads/b.jpg", key: "uploads/a.jpg"},
		{name: "the old scheme's folder", dir: "variants/uploads/a", key: "uploads/a.jpg"},
		{name: "suffix inside a segment", dir: "variants/xuploads/a.jpg", key: "uploads/a.jpg"},
		{name: "unescaped dot-dot", dir: "variants/uploads/../x.jpg", key: "uploads/../x.jpg"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := OutputPrefixOf(tt.dir, tt.key)
			if ok != tt.wantOK || p != tt.wantPrefix {
				t.Errorf("OutputPrefixOf(%q, %q) = %q, %v; want %q, %v", tt.dir, tt.key, p, ok, tt.wantPrefix, tt.wantOK)
			}
		})
	}
}

func TestUnescapeKeyRejectsBadEscapes(t *testing.T) {
	for _, s := range []string{"%", "a%2", "%G0", "%2x"} {
		if _, err := UnescapeKey(s); err == nil {
			t.Errorf("UnescapeKey(%q) succeeded", s)
		}
	}
}

// keyAlphabet is weighted towards the bytes the scheme treats specially.
const keyAlphabet = "/./../ %+a.\x00\xff\\:é"

// TestOutputDirInjective checks with random keys, built mostly from the
// special bytes, that distinct keys never share a folder and that every
// folder keeps the invariants.
func TestOutputDirInjective(t *testing.T) {
	gen := func(raw []byte) string {
		var b strings.Builder
		for _, c := range raw {
			b.WriteByte(keyAlphabet[int(c)%len(keyAlphabet)])
		}
		return b.String()
	}
	distinct := func(a, b []byte) bool {
		ka, kb := gen(a), gen(b)
		return ka == kb || OutputDir("variants", ka) != OutputDir("variants", kb)
	}
	if err := quick.Check(distinct, &quick.Config{MaxCount: 20000}); err != nil {
		t.Error(err)
	}
	seen := map[string]string{}
	roundTrip := func(raw []byte) bool {
		k := gen(raw)
		if k == "" {
			return true
		}
		dir := OutputDir("variants", k)
		if other, ok := seen[dir]; ok && other != k {
			t.Errorf("%q and %q share %q", k, other, dir)
		}
		seen[dir] = k
		checkFolder(t, "variants", k, dir)
		return !t.Failed()
	}
	if err := quick.Check(roundTrip, &quick.Config{MaxCount: 20000}); err != nil {
		t.Error(err)
	}
}

func FuzzOutputDir(f *testing.F) {
	for _, k := range []string{"uploads/photo.jpg", "uploads/../../etc/passwd", "uploads//a.", "/", "a/", ".", "..", "%", "%2F", "x\xff", "a. /b ./"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if key == "" || len(key) > 1024 { // S3 keys are 1 to 1024 bytes
			t.Skip()
		}
		checkFolder(t, "variants", key, OutputDir("variants", key))
		checkFolder(t, "a/b", key, OutputDir("a/b", key))
	})
}

func TestValidateRequestDecoding(t *testing.T) {
	tests := []struct {
		name, payload string
		wantRef       ObjectRef
		wantInputErr  string // "" for none
	}{
		{name: "trigger input", payload: `{"object":{"bucket":"b","key":"uploads/a.jpg","versionId":"v1","size":3},"executionArn":"arn:x"}`,
			wantRef: ObjectRef{Bucket: "b", Key: "uploads/a.jpg", VersionID: "v1", Size: 3}},
		{name: "hand-started without version", payload: `{"object":{"bucket":"b","key":"k"}}`, wantRef: ObjectRef{Bucket: "b", Key: "k"}},
		{name: "extra fields ignored", payload: `{"object":{"bucket":"b","key":"k","comment":"retry","tags":[1]}}`, wantRef: ObjectRef{Bucket: "b", Key: "k"}},
		{name: "string", payload: `{"object":"uploads/a.jpg"}`, wantInputErr: "the execution input is a string, not a JSON object"},
		{name: "number", payload: `{"object": 42}`, wantInputErr: "is a number"},
		{name: "array", payload: `{"object":[{"bucket":"b"}]}`, wantInputErr: "is an array"},
		{name: "null", payload: `{"object":null}`, wantInputErr: "is null"},
		{name: "boolean", payload: `{"object":true}`, wantInputErr: "is a boolean"},
		{name: "absent", payload: `{}`, wantInputErr: "is missing"},
		{name: "bucket of the wrong type", payload: `{"object":{"bucket":5,"key":"k"}}`, wantInputErr: `field "bucket" of the execution input is a JSON number, not a string`},
		{name: "size of the wrong type", payload: `{"object":{"bucket":"b","key":"k","size":"12"}}`, wantInputErr: `field "size" of the execution input is a JSON string, not a number`},
		{name: "bad time", payload: `{"object":{"bucket":"b","key":"k","eventTime":"yesterday"}}`, wantInputErr: "the execution input: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var req ValidateRequest
			if err := json.Unmarshal([]byte(tt.payload), &req); err != nil {
				t.Fatalf("Unmarshal: %v (the Lambda runtime would fail with the decoder's error type)", err)
			}
			if tt.wantInputErr == "" {
				if req.InputError != nil || req.Object != tt.wantRef {
					t.Errorf("got %+v, %v; want %+v", req.Object, req.InputError, tt.wantRef)
				}
				return
			}
			if req.InputError == nil || !strings.Contains(req.InputError.Error(), tt.wantInputErr) {
				t.Errorf("InputError = %v, want one mentioning %q", req.InputError, tt.wantInputErr)
			}
		})
	}
	var req ValidateRequest
	if err := json.Unmarshal([]byte(`["not","a","payload"]`), &req); err == nil {
		t.Error("a payload that is not an object decoded")
	}
}

// TestOldPayloads reads the single-file plan and variant of the previous
// release, as an execution in flight during an upgrade would pass them.
func TestOldPayloads(t *testing.T) {
	var p VariantPlan
	if err := json.Unmarshal([]byte(`{"preset":"xl","longSide":2048,"format":"jpeg","quality":82,"width":2048,"height":1536,"bucket":"out","key":"v/a.jpg/xl.jpg"}`), &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Files) != 1 || p.Files[0] != (FilePlan{Format: "jpeg", Quality: 82, Key: "v/a.jpg/xl.jpg"}) || p.Width != 2048 || p.Bucket != "out" {
		t.Errorf("old plan read as %+v", p)
	}
	var v Variant
	if err := json.Unmarshal([]byte(`{"preset":"xl","bucket":"out","key":"v/a.jpg/xl.jpg","width":2048,"height":1536,"bytes":1234,"format":"jpeg","contentType":"image/jpeg","durationMs":9}`), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Files) != 1 || v.Files[0] != (VariantFile{Key: "v/a.jpg/xl.jpg", Format: "jpeg", ContentType: "image/jpeg", Bytes: 1234}) || v.DurationMs != 9 || v.Width != 2048 {
		t.Errorf("old variant read as %+v", v)
	}
	// The new shape round-trips, and files win over stray old fields.
	nv := Variant{Preset: "xl", Bucket: "out", Width: 8, Height: 6, Files: []VariantFile{{Key: "k.webp", Format: "webp", ContentType: "image/webp", Bytes: 5}, {Key: "k.jpg", Format: "jpeg", ContentType: "image/jpeg", Bytes: 7}}}
	b, _ := json.Marshal(nv)
	var back Variant
	if err := json.Unmarshal(b, &back); err != nil || len(back.Files) != 2 || back.Files[1] != nv.Files[1] || back.Bytes() != 12 {
		t.Errorf("round trip: %+v (%v) from %s", back, err, b)
	}
	np := VariantPlan{Preset: "xl", Files: []FilePlan{{Format: "webp", Quality: 85, Key: "k.webp"}}}
	b, _ = json.Marshal(np)
	var pback VariantPlan
	if err := json.Unmarshal(b, &pback); err != nil || len(pback.Files) != 1 || pback.Files[0] != np.Files[0] {
		t.Errorf("plan round trip: %+v (%v) from %s", pback, err, b)
	}
}

// TestGroupedPayloads checks the Map item and resize output of a group:
// written as {"group": [...]} alone, read back whole, and the store and
// notify inputs read any mix of variants (old single-file ones included)
// and groups as one variant per size, in order.
func TestGroupedPayloads(t *testing.T) {
	xl := VariantPlan{Preset: "xl", LongSide: 2048, Width: 2048, Height: 1536, Bucket: "out", Files: []FilePlan{{Format: "webp", Quality: 85, Key: "v/a/xl.webp"}}}
	md := VariantPlan{Preset: "md", LongSide: 512, Width: 512, Height: 384, Bucket: "out", Files: []FilePlan{{Format: "jpeg", Quality: 80, Key: "v/a/md.jpg"}}}
	b, err := json.Marshal(VariantPlan{Group: []VariantPlan{xl, md}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(b), `{"group":[{"preset":"xl"`) || strings.Count(string(b), "group") != 1 {
		t.Errorf("group plan written as %s", b)
	}
	var p VariantPlan
	if err := json.Unmarshal(b, &p); err != nil || len(p.Plans()) != 2 || p.Plans()[1].Files[0] != md.Files[0] || p.LongSide != 0 {
		t.Errorf("group plan read as %+v (%v)", p, err)
	}
	if got := xl.Plans(); len(got) != 1 || got[0].Preset != "xl" {
		t.Errorf("a plan of one size has plans %+v", got)
	}
	if b, _ := json.Marshal(xl); strings.Contains(string(b), "group") {
		t.Errorf("a plan of one size is written with a group: %s", b)
	}

	tests := []struct {
		name, variants string
		want           []string // preset:first file key
	}{
		{name: "one per size", variants: `[{"preset":"xl","bucket":"out","width":2,"height":1,"files":[{"key":"v/a/xl.webp"}]},{"preset":"md","bucket":"out","width":1,"height":1,"files":[{"key":"v/a/md.jpg"}]}]`,
			want: []string{"xl:v/a/xl.webp", "md:v/a/md.jpg"}},
		{name: "one group", variants: `[{"group":[{"preset":"xl","bucket":"out","files":[{"key":"v/a/xl.webp"}]},{"preset":"md","bucket":"out","files":[{"key":"v/a/md.jpg"}]}]}]`,
			want: []string{"xl:v/a/xl.webp", "md:v/a/md.jpg"}},
		{name: "old single-file variant beside a group", variants: `[{"preset":"xl","bucket":"out","key":"v/a/xl.jpg","bytes":3},{"group":[{"preset":"md","files":[{"key":"v/a/md.jpg"}]},{"preset":"sm","files":[{"key":"v/a/sm.jpg"}]}]}]`,
			want: []string{"xl:v/a/xl.jpg", "md:v/a/md.jpg", "sm:v/a/sm.jpg"}},
		{name: "none", variants: `[]`, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sr StoreRequest
			var nr NotifyRequest
			if err := json.Unmarshal([]byte(`{"variants":`+tt.variants+`}`), &sr); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(`{"status":"SUCCEEDED","variants":`+tt.variants+`}`), &nr); err != nil {
				t.Fatal(err)
			}
			for _, vs := range []Variants{sr.Variants, nr.Variants} {
				var got []string
				for _, v := range vs {
					if len(v.Group) > 0 || len(v.Files) == 0 {
						t.Fatalf("read %+v: a group or no files", v)
					}
					got = append(got, v.Preset+":"+v.Files[0].Key)
				}
				if strings.Join(got, " ") != strings.Join(tt.want, " ") {
					t.Errorf("variants read as %q, want %q", got, tt.want)
				}
			}
		})
	}
	// A group output is written as {"group": [...]} alone.
	b, _ = json.Marshal(Variant{Group: []Variant{{Preset: "xl", DurationMs: 5}}, DurationMs: 5})
	if !strings.HasPrefix(string(b), `{"group":[{"preset":"xl",`) || strings.Count(string(b), "durationMs") != 1 {
		t.Errorf("group variant written as %s", b)
	}
}

func TestManifestMatches(t *testing.T) {
	const digest = "sha256:ab"
	cur := Manifest{OutputScheme: OutputScheme, PresetsDigest: digest, Source: ManifestSource{VersionID: "v2", ETag: `"e2"`}}
	cases := []struct {
		name                   string
		m                      Manifest
		version, etag, presets string
		want                   bool
	}{
		{"current", cur, "v2", "e2", digest, true},
		{"quoted etag", cur, "v2", `"e2"`, digest, true},
		{"other version", cur, "v3", "e2", digest, false},
		{"other etag", cur, "v2", "e3", digest, false},
		{"presets changed", cur, "v2", "e2", "sha256:cd", false},
		{"manifest before version 4", Manifest{OutputScheme: OutputScheme, Source: cur.Source}, "v2", "e2", "", false},
		{"other scheme", Manifest{OutputScheme: "old", PresetsDigest: digest, Source: cur.Source}, "v2", "e2", digest, false},
		{"unversioned", Manifest{OutputScheme: OutputScheme, PresetsDigest: digest, Source: ManifestSource{ETag: "e1"}}, "", "e1", digest, true},
		{"no etag", Manifest{OutputScheme: OutputScheme, PresetsDigest: digest}, "", "", digest, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.Matches(tc.version, tc.etag, tc.presets); got != tc.want {
				t.Errorf("Matches = %v, want %v", got, tc.want)
			}
		})
	}
}
