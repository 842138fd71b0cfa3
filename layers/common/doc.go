// Package common is the shared layer every imgflow Lambda compiles in.
//
// Go binaries are static, so the layer's Go code is compiled into each
// function rather than loaded from /opt. The layer artifact that SAM deploys
// (AWS::Serverless::LayerVersion CommonLayer) carries the runtime assets in
// assets/, which the functions read from /opt/imgflow at run time. The code is
// split by purpose into the packages below; this package itself is empty.
//
//   - envconfig:   typed reading of environment variables, every error at once
//   - logx:        the zap logger and the per-invocation child logger
//   - pipeline:    the payloads that travel between the steps
//   - pipelineerr: the typed errors the state machine matches on
//   - presets:     the variant presets file shipped in the layer
//   - s3io:        the S3 operations the steps need, with SDK errors translated
package common
