//go:build purego || !(amd64 || arm64)

package jpegenc

// fdctQuantSIMD is nil: this build has no assembly forward DCT.
var fdctQuantSIMD fdctQuantFunc
