module github.com/imgflow/imgflow/bench/webp

go 1.26.8

require (
	github.com/HugoSmits86/nativewebp v0.9.3
	github.com/gen2brain/webp v0.5.5
	github.com/imgflow/imgflow v0.0.0
	golang.org/x/image v0.48.0
)

require (
	github.com/ebitengine/purego v0.8.3 // indirect
	github.com/tetratelabs/wazero v1.9.0 // indirect
)

replace github.com/imgflow/imgflow => ../..
