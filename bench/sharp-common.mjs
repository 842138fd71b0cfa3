// Shared by sharp.mjs (warm, in-process timing) and sharp-cli.mjs (one
// process per run): loading sharp, the presets file, and the 4-size unit.
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

// loadSharp loads sharp from $SHARP_PREFIX (the `npm install --prefix` folder
// make bench uses), else from wherever Node finds it. ESM ignores NODE_PATH,
// hence createRequire.
export function loadSharp() {
  const prefix = process.env.SHARP_PREFIX;
  const req = createRequire(prefix ? join(prefix, 'package.json') : import.meta.url);
  const sharp = req('sharp');
  // No libvips operation cache: a Lambda sees a new image on every call, and
  // the warm loop repeats the same one, which the cache would short-cut.
  sharp.cache(false);
  // sharp's default concurrency is 1 on glibc Linux without jemalloc (as here
  // and on Lambda); SHARP_CONCURRENCY overrides it.
  if (process.env.SHARP_CONCURRENCY) sharp.concurrency(Number(process.env.SHARP_CONCURRENCY));
  return sharp;
}

// loadPresets reads an imgflow presets file (bench/presets.json).
export function loadPresets(path) {
  return JSON.parse(readFileSync(path, 'utf8')).presets;
}

// variant makes one preset from the original bytes, as an AWS-style sharp
// thumbnailer does: EXIF rotate, fit inside longSide x longSide without
// enlarging, JPEG. Images with alpha are flattened on white, as our engine
// does for JPEG output (sharp alone would flatten on black).
export function variant(sharp, buf, preset, hasAlpha) {
  let p = sharp(buf).rotate().resize({
    width: preset.longSide, height: preset.longSide, fit: 'inside', withoutEnlargement: true,
  });
  if (hasAlpha) p = p.flatten({ background: '#ffffff' });
  return p.jpeg({ quality: preset.quality }).toBuffer({ resolveWithObject: true });
}

export function parseArgs(argv, defaults) {
  const opts = { ...defaults, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('--')) opts[a.slice(2)] = argv[++i];
    else opts.files.push(a);
  }
  return opts;
}

export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const n = s.length;
  return n === 0 ? 0 : n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}
