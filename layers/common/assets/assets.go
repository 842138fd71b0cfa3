// Package assets embeds the common layer's runtime files, so that a binary
// run outside Lambda (imgflow resize, from any directory) has them without
// the layer. The files here stay the one source: the layer's Makefiles
// copy assets/presets.json by name into /opt/imgflow, and never this Go
// file, which is compiled into the binaries that import it instead.
package assets

import _ "embed"

//go:embed presets.json
var presetsJSON string

// Presets returns presets.json, the default presets the layer deploys to
// /opt/imgflow/presets.json; each call returns a fresh copy.
func Presets() []byte { return []byte(presetsJSON) }
