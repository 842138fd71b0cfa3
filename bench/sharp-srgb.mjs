// Renders an ICC-tagged image as bench/reference needs it: the full-size
// pixels converted to sRGB through the embedded profile by lcms2 (libvips'
// icc_transform, perceptual intent), not rotated or resized, alpha kept,
// written as PNG. Our engine's colour management is what the benchmarks
// measure, so the reference takes this conversion from an independent one.
//
//   SHARP_PREFIX=DIR node bench/sharp-srgb.mjs IN OUT.png
import { loadSharp, parseArgs } from './sharp-common.mjs';

const opts = parseArgs(process.argv.slice(2), {});
if (opts.files.length !== 2) {
  console.error('usage: node bench/sharp-srgb.mjs IN OUT.png');
  process.exit(2);
}
const sharp = loadSharp();
const [src, dst] = opts.files;
const { icc } = await sharp(src).metadata();
if (!icc) {
  console.error(`sharp-srgb: ${src} has no embedded ICC profile`);
  process.exit(1);
}
await sharp(src).toColourspace('srgb').png({ compressionLevel: 1 }).toFile(dst);
