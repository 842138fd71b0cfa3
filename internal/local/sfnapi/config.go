package sfnapi

import (
	"errors"
	"time"
)

// Config configures the Step Functions service.
type Config struct {
	// DataDir holds the store file (sfn.db). Required.
	DataDir string
	// Region and AccountID build ARNs; requests must be signed for Region.
	Region    string
	AccountID string
	// RequireSignature rejects requests without a SigV4 Authorization
	// header scoped to Region/states (any key is accepted).
	RequireSignature bool
	// MaxDefinitionBytes is the definition size limit (AWS: 1,048,576).
	MaxDefinitionBytes int
	// MaxInputBytes is the execution input size limit (AWS: 256 KiB).
	MaxInputBytes int
	// MaxRequestBytes caps request bodies (default 1 MiB + MaxDefinitionBytes).
	MaxRequestBytes int64
	// OpenTimeout is how long New waits for another process to release
	// the store file.
	OpenTimeout time.Duration
}

// NewDefaultConfig returns AWS's limits for us-east-1 and account
// 123456789012 (DataDir must still be set).
func NewDefaultConfig() *Config {
	return &Config{
		Region:             "us-east-1",
		AccountID:          "123456789012",
		RequireSignature:   true,
		MaxDefinitionBytes: 1 << 20,
		MaxInputBytes:      256 << 10,
		MaxRequestBytes:    2 << 20,
		OpenTimeout:        5 * time.Second,
	}
}

// Validate checks the configuration.
func (c *Config) Validate() error {
	var errs []error
	if c.DataDir == "" {
		errs = append(errs, errors.New("sfnapi: config: DataDir is required"))
	}
	if c.Region == "" || c.AccountID == "" {
		errs = append(errs, errors.New("sfnapi: config: Region and AccountID are required"))
	}
	if c.MaxDefinitionBytes <= 0 || c.MaxInputBytes <= 0 || c.MaxRequestBytes <= 0 {
		errs = append(errs, errors.New("sfnapi: config: limits must be positive"))
	}
	return errors.Join(errs...)
}
