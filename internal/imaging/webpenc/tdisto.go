package webpenc

// Spectral ("texture") distortion, added to the SSE in mode decisions as
// libwebp does from method 4 on: the difference of Hadamard-domain
// energies of source and reconstruction, weighted towards low
// frequencies. Plain SSE prefers blurry reconstructions (a flat block has
// small error against fine texture); this term charges for lost texture,
// which is what SSIM notices.

// hadamardWeight weights the 4×4 Hadamard coefficients (raster).
var hadamardWeight = [16]int32{38, 32, 20, 9, 32, 28, 17, 7, 20, 17, 10, 4, 9, 7, 4, 2}

// texture4Generic is the weighted sum of |Hadamard coefficients| of the 4×4
// block at p[o:] (stride s). texture4 (kernels_*.go) is this or its
// assembly version.
func texture4Generic(p []uint8, o, s int) int32 {
	var tmp [16]int32
	for i := 0; i < 4; i++ {
		r := p[o+i*s : o+i*s+4 : o+i*s+4]
		a0 := int32(r[0]) + int32(r[2])
		a1 := int32(r[1]) + int32(r[3])
		a2 := int32(r[1]) - int32(r[3])
		a3 := int32(r[0]) - int32(r[2])
		tmp[i*4+0] = a0 + a1
		tmp[i*4+1] = a3 + a2
		tmp[i*4+2] = a3 - a2
		tmp[i*4+3] = a0 - a1
	}
	var sum int32
	for i := 0; i < 4; i++ {
		a0 := tmp[i] + tmp[8+i]
		a1 := tmp[4+i] + tmp[12+i]
		a2 := tmp[4+i] - tmp[12+i]
		a3 := tmp[i] - tmp[8+i]
		sum += hadamardWeight[i]*abs32(a0+a1) + hadamardWeight[4+i]*abs32(a3+a2) +
			hadamardWeight[8+i]*abs32(a3-a2) + hadamardWeight[12+i]*abs32(a0-a1)
	}
	return sum
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// tdisto4 is the texture distortion of one 4×4 block, Q0 (>>5 of the
// weighted difference).
func tdisto4(srcTex int32, rec []uint8, o, s int) int64 {
	return texDisto(srcTex, texture4(rec, o, s))
}

// texDisto is tdisto4 given the reconstruction's texture4.
func texDisto(srcTex, tex int32) int64 { return int64(abs32(tex-srcTex) >> 5) }

// sdScore converts a texture distortion to score units: tlambda·d/256,
// with tlambda = sns·q_i4/32 (libwebp's scaling).
func sdScore(tlambda int64, d int64) int64 { return (tlambda*d + 128) >> 8 }
