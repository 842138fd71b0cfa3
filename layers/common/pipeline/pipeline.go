// Package pipeline defines the payloads that travel between the steps of the
// image pipeline, in the style of aws-lambda-go's events package: plain
// tagged structs, one per message.
//
// Payloads carry references (bucket, key, version), never image bytes, so an
// execution stays far below Step Functions' 256 KiB payload limit whatever
// the size of the image.
package pipeline

import (
	"path"
	"strings"
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
// with the exact output size and key decided up front so that every resize
// is deterministic and idempotent.
type VariantPlan struct {
	Preset   string `json:"preset"`
	LongSide int    `json:"longSide"`
	Format   string `json:"format"` // jpeg or png, never auto
	Quality  int    `json:"quality"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	Bucket   string `json:"bucket"`
	Key      string `json:"key"`
}

// ValidateResponse is the validate step's output.
type ValidateResponse struct {
	Source     Source        `json:"source"`
	Variants   []VariantPlan `json:"variants"`
	DurationMs int64         `json:"durationMs"`
}

// ResizeRequest is one Map iteration's input.
type ResizeRequest struct {
	Source       Source      `json:"source"`
	Variant      VariantPlan `json:"variant"`
	ExecutionARN string      `json:"executionArn,omitempty"`
}

// Variant is a stored variant: the resize step's output.
type Variant struct {
	Preset      string `json:"preset"`
	Bucket      string `json:"bucket"`
	Key         string `json:"key"`
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
	Format      string `json:"format"`
	ContentType string `json:"contentType"`
	DurationMs  int64  `json:"durationMs"`
}

// StoreRequest is the store step's input.
type StoreRequest struct {
	Source       Source    `json:"source"`
	Variants     []Variant `json:"variants"`
	ValidateMs   int64     `json:"validateMs"`
	ExecutionARN string    `json:"executionArn"`
	StartTime    string    `json:"startTime"`
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
// is the validated Source; on failure only bucket, key and version are known.
type NotifyRequest struct {
	Status       string    `json:"status"`
	Object       Source    `json:"object"`
	Variants     []Variant `json:"variants,omitempty"`
	ManifestKey  string    `json:"manifestKey,omitempty"`
	Error        string    `json:"error,omitempty"`
	Cause        string    `json:"cause,omitempty"`
	ExecutionARN string    `json:"executionArn,omitempty"`
}

// NotifyResponse is the notify step's output.
type NotifyResponse struct {
	MessageID string `json:"messageId"`
}

// OutputDir is the folder that holds a source's variants and manifest:
// <prefix>/<source key without extension>.
func OutputDir(prefix, sourceKey string) string {
	stem := strings.TrimSuffix(sourceKey, path.Ext(sourceKey))
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return stem
	}
	return prefix + "/" + stem
}

// VariantKey is where a variant is stored: <prefix>/<stem>/<preset>.<ext>.
func VariantKey(prefix, sourceKey, preset, ext string) string {
	return OutputDir(prefix, sourceKey) + "/" + preset + "." + ext
}

// ManifestKey is where the manifest is stored, beside the variants.
func ManifestKey(prefix, sourceKey string) string {
	return OutputDir(prefix, sourceKey) + "/manifest.json"
}
