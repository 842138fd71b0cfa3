// Package stages holds per-stage Go benchmarks that the engine's own
// packages do not have yet. Decoding at each scale is benchmarked in
// internal/imaging/jpeg (BenchmarkDecode), resampling and the whole Process
// in internal/imaging (BenchmarkStages, BenchmarkProcess); encoding is here.
//
//	go test -run '^$' -bench . ./bench/stages
package stages
