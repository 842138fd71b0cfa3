package s3

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Config configures the local S3 service.
type Config struct {
	// DataDir is the directory the service persists into (it uses
	// DataDir/s3). Required.
	DataDir string
	// Region is the only region requests may be signed for, and the
	// awsRegion of event records.
	Region string
	// AccountID is used for the bucket owner identity in event records.
	AccountID string
	// HostBucketBases are the host names under which virtual-host style
	// requests are recognised: with "localhost", "photos.localhost:4566"
	// addresses bucket "photos". A request whose host is a base itself, or an
	// IP address, is path-style.
	HostBucketBases []string
	// MaxObjectSize caps the body of PutObject, UploadPart and POST uploads.
	MaxObjectSize int64
	// MaxXMLBodySize caps XML request bodies (CompleteMultipartUpload,
	// notification and versioning configuration, multi-object delete).
	MaxXMLBodySize int64
	// MinPartSize is the minimum size of every multipart part but the last
	// (AWS: 5 MiB), checked at completion with EntityTooSmall.
	MinPartSize int64
	// Delivery configures event delivery to the Notifier.
	Delivery DeliveryConfig
}

// DeliveryConfig bounds event delivery retries.
type DeliveryConfig struct {
	// MaxAttempts is how many times an event is offered to the Notifier
	// before it is recorded as failed.
	MaxAttempts int
	// InitialBackoff is the wait after the first failure; it doubles per
	// failure up to MaxBackoff.
	InitialBackoff time.Duration
	MaxBackoff     time.Duration
	// Timeout bounds one Notify call.
	Timeout time.Duration
}

// NewDefaultConfig returns the defaults: region us-east-1, 5 GiB objects
// (the S3 single-PUT limit), 5 MiB minimum parts, 8 delivery attempts.
func NewDefaultConfig() *Config {
	return &Config{
		Region:          "us-east-1",
		AccountID:       "000000000000",
		HostBucketBases: []string{"s3.localhost", "localhost"},
		MaxObjectSize:   5 << 30,
		MaxXMLBodySize:  2 << 20,
		MinPartSize:     5 << 20,
		Delivery: DeliveryConfig{
			MaxAttempts:    8,
			InitialBackoff: time.Second,
			MaxBackoff:     5 * time.Minute,
			Timeout:        30 * time.Second,
		},
	}
}

// Validate reports every invalid field at once.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("s3 config: DataDir is required"))
	}
	if c.Region == "" {
		errs = append(errs, errors.New("s3 config: Region is required"))
	}
	if c.MaxObjectSize <= 0 {
		errs = append(errs, fmt.Errorf("s3 config: MaxObjectSize must be > 0, got %d", c.MaxObjectSize))
	}
	if c.MaxXMLBodySize <= 0 {
		errs = append(errs, fmt.Errorf("s3 config: MaxXMLBodySize must be > 0, got %d", c.MaxXMLBodySize))
	}
	if c.MinPartSize < 0 {
		errs = append(errs, fmt.Errorf("s3 config: MinPartSize must be >= 0, got %d", c.MinPartSize))
	}
	for _, b := range c.HostBucketBases {
		if strings.Trim(b, ".") == "" || strings.Contains(b, ":") {
			errs = append(errs, fmt.Errorf("s3 config: bad host bucket base %q (a host name without port)", b))
		}
	}
	d := c.Delivery
	if d.MaxAttempts < 1 {
		errs = append(errs, fmt.Errorf("s3 config: Delivery.MaxAttempts must be >= 1, got %d", d.MaxAttempts))
	}
	if d.InitialBackoff <= 0 || d.MaxBackoff < d.InitialBackoff {
		errs = append(errs, fmt.Errorf("s3 config: need 0 < Delivery.InitialBackoff (%v) <= Delivery.MaxBackoff (%v)", d.InitialBackoff, d.MaxBackoff))
	}
	if d.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("s3 config: Delivery.Timeout must be > 0, got %v", d.Timeout))
	}
	return errors.Join(errs...)
}
