// Package pipeline defines the payloads that travel between the steps of the
// image pipeline, in the style of aws-lambda-go's events package: plain
// tagged structs, one per message.
//
// Payloads carry references (bucket, key, version), never image bytes, so an
// execution stays far below Step Functions' 256 KiB payload limit whatever
// the size of the image.
//
// It also decides where a source's outputs go (output.go): one folder per
// source key, so no two uploads can ever write the same output key.
package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"time"
)

// ObjectRef is the execution input that trigger builds from one S3 event
// record: one version of one uploaded object.
type ObjectRef struct {
	Bucket    string    `json:"bucket"`
	Key       string    `json:"key"`
	VersionID string    `json:"versionId,omitempty"`
	ETag      string    `json:"etag,omitempty"`
	Size      int64     `json:"size"`
	Sequencer string    `json:"sequencer,omitempty"`
	EventTime time.Time `json:"eventTime,omitzero"`
}

// ValidateRequest is the validate step's input.
type ValidateRequest struct {
	Object       ObjectRef `json:"object"`
	ExecutionARN string    `json:"executionArn,omitempty"`
	// Reprocess is set by the reprocess state machine: the object comes
	// from a listing, not an event, and is skipped (ValidateResponse.Skip)
	// when its manifest is current, unless Force.
	Reprocess bool `json:"reprocess,omitempty"`
	Force     bool `json:"force,omitempty"`
	// InputError says why Object could not be read, nil when it was. The
	// state machine hands validate the execution input as it is
	// ("object.$": "$"), and an execution started by hand can have any JSON
	// as input; decoding never fails on it, so that validate can reject it
	// with a typed error instead of the Lambda runtime failing with the
	// decoder's error type.
	InputError error `json:"-"`
}

// Source describes the original image as validate found it. Width and Height
// are the displayed size, after EXIF orientation.
type Source struct {
	Bucket       string `json:"bucket"`
	Key          string `json:"key"`
	VersionID    string `json:"versionId,omitempty"`
	ETag         string `json:"etag,omitempty"`
	Bytes        int64  `json:"bytes"`
	Format       string `json:"format"`
	Width        int    `json:"width"`
	Height       int    `json:"height"`
	StoredWidth  int    `json:"storedWidth"`
	StoredHeight int    `json:"storedHeight"`
	Orientation  int    `json:"orientation"`
	HasAlpha     bool   `json:"hasAlpha,omitempty"`
	ColorModel   string `json:"colorModel,omitempty"`
	Progressive  bool   `json:"progressive,omitempty"`
	Animated     bool   `json:"animated,omitempty"`
	HasGPS       bool   `json:"hasGps,omitempty"`
}

// VariantPlan is one variant to make: a preset resolved against the source,
// with the exact output size and keys decided up front so that every resize
// is deterministic and idempotent. One resize makes all its Files from a
// single decode.
//
// A plan with a Group is instead one Map item of several variants: one
// resize makes every plan of the Group from a single decode of the source
// (imaging.ProcessSizes) and returns a Variant with a Group of the same
// length. Its other fields are then empty, and it is written as
// {"group": [...]} alone, so a resize that predates groups refuses it (no
// longSide) rather than making one size of several. Validate groups the
// sizes of every source (a JPEG is entropy-decoded once and reconstructed
// at each size's DCT scale).
type VariantPlan struct {
	Preset   string        `json:"preset"`
	LongSide int           `json:"longSide"`
	Width    int           `json:"width"`
	Height   int           `json:"height"`
	Bucket   string        `json:"bucket"`
	Files    []FilePlan    `json:"files"`
	Group    []VariantPlan `json:"group,omitempty"`
}

// FilePlan is one encoding of a variant.
type FilePlan struct {
	Format  string `json:"format"` // jpeg, png or webp, never auto
	Quality int    `json:"quality"`
	Key     string `json:"key"`
}

// Plans returns the plans of a Map item: its Group, or the plan itself.
func (p VariantPlan) Plans() []VariantPlan {
	if len(p.Group) > 0 {
		return p.Group
	}
	return []VariantPlan{p}
}

// MarshalJSON writes a group as {"group": [...]} alone.
func (p VariantPlan) MarshalJSON() ([]byte, error) {
	if len(p.Group) > 0 {
		return json.Marshal(struct {
			Group []VariantPlan `json:"group"`
		}{p.Group})
	}
	type plain VariantPlan
	return json.Marshal(plain(p))
}

// UnmarshalJSON also reads the single-file plan of manifest version 2's
// pipeline ({"format", "quality", "key"} beside the size), so an execution
// that validate planned before an upgrade still resizes after it.
func (p *VariantPlan) UnmarshalJSON(b []byte) error {
	type plain VariantPlan
	var v struct {
		plain
		Format  string `json:"format"`
		Quality int    `json:"quality"`
		Key     string `json:"key"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = VariantPlan(v.plain)
	if len(p.Files) == 0 && (v.Key != "" || v.Format != "") {
		p.Files = []FilePlan{{Format: v.Format, Quality: v.Quality, Key: v.Key}}
	}
	return nil
}

// ValidateResponse is the validate step's output.
type ValidateResponse struct {
	Source     Source        `json:"source"`
	Variants   []VariantPlan `json:"variants"`
	DurationMs int64         `json:"durationMs"`
	// PresetsDigest is presets.Digest of the presets Variants were planned
	// from; store writes it into the manifest.
	PresetsDigest string `json:"presetsDigest"`
	// Skip says why a reprocess leaves the object alone (its manifest
	// matches, or it is a folder marker); "" otherwise, and then Variants
	// are to be made. Always written, so a state machine can test it
	// without a missing-field error.
	Skip string `json:"skip"`
}

// ResizeRequest is one Map iteration's input.
type ResizeRequest struct {
	Source       Source      `json:"source"`
	Variant      VariantPlan `json:"variant"`
	ExecutionARN string      `json:"executionArn,omitempty"`
}

// Variant is a stored variant, one size in every format its preset asks
// for: the resize step's output.
//
// A resize of a grouped plan (VariantPlan.Group) returns a Variant whose
// Group holds one Variant per plan, in the plan's order, written as
// {"group": [...]} alone; each has the whole invocation's DurationMs. The
// state machine flattens the groups of the Map's results, and Variants
// reads them flat too.
type Variant struct {
	Preset     string        `json:"preset"`
	Bucket     string        `json:"bucket"`
	Width      int           `json:"width"`
	Height     int           `json:"height"`
	Files      []VariantFile `json:"files"` // in the preset's order
	DurationMs int64         `json:"durationMs"`
	Group      []Variant     `json:"group,omitempty"`
}

// VariantFile is one stored encoding of a variant.
type VariantFile struct {
	Key         string `json:"key"`
	Format      string `json:"format"`
	ContentType string `json:"contentType"`
	Bytes       int64  `json:"bytes"`
}

// MarshalJSON writes a group as {"group": [...]} alone.
func (v Variant) MarshalJSON() ([]byte, error) {
	if len(v.Group) > 0 {
		return json.Marshal(struct {
			Group []Variant `json:"group"`
		}{v.Group})
	}
	type plain Variant
	return json.Marshal(plain(v))
}

// UnmarshalJSON also reads the single-file variant that resize returned
// before formats (key, bytes, format and contentType beside the size).
func (v *Variant) UnmarshalJSON(b []byte) error {
	type plain Variant
	var w struct {
		plain
		VariantFile
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*v = Variant(w.plain)
	if len(v.Files) == 0 && w.Key != "" {
		v.Files = []VariantFile{w.VariantFile}
	}
	return nil
}

// Bytes is the size of all the variant's files.
func (v Variant) Bytes() int64 {
	var n int64
	for _, f := range v.Files {
		n += f.Bytes
	}
	return n
}

// Variants is the Map's result as the store and notify steps read it: one
// Variant per size, whether the resizes made one size each or a group of
// sizes each. Reading replaces every group by its members, in order, so
// the result of an execution that started before the state machine
// flattened groups reads the same.
type Variants []Variant

// UnmarshalJSON reads a list of variants and groups, flattened.
func (vs *Variants) UnmarshalJSON(b []byte) error {
	var raw []Variant
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*vs = Flatten(raw)
	return nil
}

// Flatten returns vs with every group replaced by its members, in order
// (vs itself when there is no group).
func Flatten(vs []Variant) []Variant {
	if !slices.ContainsFunc(vs, func(v Variant) bool { return len(v.Group) > 0 }) {
		return vs
	}
	var out []Variant
	for _, v := range vs {
		if len(v.Group) > 0 {
			out = append(out, Flatten(v.Group)...)
			continue
		}
		out = append(out, v)
	}
	return out
}

// StoreRequest is the store step's input.
type StoreRequest struct {
	Source       Source   `json:"source"`
	Variants     Variants `json:"variants"`
	ValidateMs   int64    `json:"validateMs"`
	ExecutionARN string   `json:"executionArn"`
	StartTime    string   `json:"startTime"`
	// PresetsDigest is validate's (empty from an execution that started
	// before it existed: the manifest then has none).
	PresetsDigest string `json:"presetsDigest,omitempty"`
}

// StoreResponse is the store step's output.
type StoreResponse struct {
	Bucket      string `json:"bucket"`
	ManifestKey string `json:"manifestKey"`
}

// Notification statuses, as the execution ends.
const (
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
)

// NotifyRequest is the notify step's input on both paths. On success Object
// is the validated Source. On failure Input is the execution input as it was
// given, which is any JSON for an execution started by hand; notify takes
// the bucket, key and version from it when they are there.
type NotifyRequest struct {
	Status       string          `json:"status"`
	Object       Source          `json:"object"`
	Input        json.RawMessage `json:"input,omitempty"`
	Variants     Variants        `json:"variants,omitempty"`
	ManifestKey  string          `json:"manifestKey,omitempty"`
	Error        string          `json:"error,omitempty"`
	Cause        string          `json:"cause,omitempty"`
	ExecutionARN string          `json:"executionArn,omitempty"`
	// Reprocess asks for the one summary of a reprocess execution instead
	// of a message about one upload; Status is its outcome.
	Reprocess *ReprocessRun `json:"reprocess,omitempty"`
}

// NotifyResponse is the notify step's output.
type NotifyResponse struct {
	MessageID string `json:"messageId"`
	// Counts are a reprocess summary's totals, when it could read them.
	Counts *ReprocessCounts `json:"counts,omitempty"`
}

// UnmarshalJSON decodes a validate payload. Only a payload that is not a
// JSON object at all is an error (the state machine always builds one); an
// unreadable "object" is reported in InputError.
func (r *ValidateRequest) UnmarshalJSON(b []byte) error {
	var raw struct {
		Object       json.RawMessage `json:"object"`
		ExecutionARN string          `json:"executionArn"`
		Reprocess    bool            `json:"reprocess"`
		Force        bool            `json:"force"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*r = ValidateRequest{ExecutionARN: raw.ExecutionARN, Reprocess: raw.Reprocess, Force: raw.Force}
	r.InputError = decodeObjectRef(raw.Object, &r.Object)
	return nil
}

// decodeObjectRef decodes an execution input into ref and explains in a
// user's terms why it cannot be.
func decodeObjectRef(b json.RawMessage, ref *ObjectRef) error {
	if kind := jsonKind(b); kind != "object" {
		return fmt.Errorf("the execution input is %s, not a JSON object", kind)
	}
	err := json.Unmarshal(b, ref)
	var typeErr *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return fmt.Errorf("field %q of the execution input is a JSON %s, not a %s", typeErr.Field, typeErr.Value, wantKind(typeErr.Type))
	}
	return fmt.Errorf("the execution input: %w", err)
}

// wantKind names the JSON type a Go field takes.
func wantKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return "number"
	}
	return t.String()
}

// jsonKind names the JSON type of b from its first byte, with an article.
func jsonKind(b json.RawMessage) string {
	for _, c := range b {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{':
			return "object"
		case '[':
			return "an array"
		case '"':
			return "a string"
		case 't', 'f':
			return "a boolean"
		case 'n':
			return "null"
		}
		return "a number"
	}
	return "missing"
}
