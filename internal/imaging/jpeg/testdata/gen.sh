#!/bin/sh
# Regenerates the JPEG fixtures and djpeg reference images from src.ppm
# (an 83x61 synthetic image: odd size, so every file has partial MCUs).
# Needs libjpeg-turbo's tools: apt-get install libjpeg-turbo-progs.
# The fixtures are committed; CI does not run this script.
set -eu
cd "$(dirname "$0")"
c() { out=$1; shift; cjpeg "$@" -outfile "$out" src.ppm; }
c b420.jpg -quality 85
c b420q50.jpg -quality 50
c b420q98.jpg -quality 98
c b422.jpg -quality 85 -sample 2x1
c b444.jpg -quality 90 -sample 1x1
c b440.jpg -quality 85 -sample 1x2
c b411.jpg -quality 85 -sample 4x1
c gray.jpg -quality 85 -grayscale
c rgb.jpg -quality 90 -rgb
c r420.jpg -quality 85 -restart 5B
c r444.jpg -quality 85 -sample 1x1 -restart 1
c opt420.jpg -quality 85 -optimize
c ni420.jpg -quality 85 -scans ni.scans # sequential, one scan per component (not interleaved)
jpegtran -progressive -outfile p420.jpg b420.jpg
jpegtran -progressive -outfile p422.jpg b422.jpg
jpegtran -progressive -outfile p444.jpg b444.jpg
jpegtran -progressive -outfile pgray.jpg gray.jpg
jpegtran -progressive -restart 3B -outfile pr420.jpg b420.jpg
# Reference decodes at reduced scale (djpeg's default islow IDCT, fancy
# upsampling) for the scaled-decode tests.
for f in b420 b422 b444 b440 b411 gray rgb p420 p422 pr420; do
	for s in 1 2 4 8; do
		djpeg -scale 1/$s -outfile ref_${f}_s$s.pnm $f.jpg
	done
done
