// Times sharp's WebP 4-size unit warm, inside one process, as sharp.mjs
// does for JPEG: reads the image once, runs the unit (each preset from the
// original bytes: EXIF rotate, fit inside longSide, .webp() at sharp's
// defaults: quality 80, effort 4, alpha kept) once untimed and then K
// times, and prints wall and CPU time (process.cpuUsage: user+system of
// every thread) per run and their medians as JSON.
//
//   SHARP_PREFIX=DIR node bench/sharp-webp.mjs [--k 5] [--presets FILE] FILE
import { readFileSync } from 'node:fs';
import { loadSharp, loadPresets, parseArgs, median } from './sharp-common.mjs';

const opts = parseArgs(process.argv.slice(2), { k: '5', warmup: '1', presets: 'bench/presets.json' });
if (opts.files.length !== 1) {
  console.error('usage: node bench/sharp-webp.mjs [--k N] [--presets FILE] FILE');
  process.exit(2);
}
const sharp = loadSharp();
const presets = loadPresets(opts.presets);
const k = Number(opts.k);
const warmup = Number(opts.warmup);
const buf = readFileSync(opts.files[0]);

const runs = [];
const cpu = [];
const variants = [];
for (let i = 0; i < warmup + k; i++) {
  const t0 = process.hrtime.bigint();
  const c0 = process.cpuUsage();
  for (const [v, p] of presets.entries()) {
    const { data, info } = await sharp(buf).rotate()
      .resize({ width: p.longSide, height: p.longSide, fit: 'inside', withoutEnlargement: true })
      .webp().toBuffer({ resolveWithObject: true });
    variants[v] = { preset: p.name, width: info.width, height: info.height, bytes: data.length };
  }
  const c = process.cpuUsage(c0);
  const d = Number(process.hrtime.bigint() - t0) / 1e6;
  if (i >= warmup) {
    runs.push(d);
    cpu.push((c.user + c.system) / 1000);
  }
}
console.log(JSON.stringify({
  file: opts.files[0], k, runs_ms: runs, median_ms: median(runs), cpu_ms: cpu, cpu_median_ms: median(cpu), cpu_min_ms: Math.min(...cpu), variants,
  versions: { sharp: sharp.versions.sharp, vips: sharp.versions.vips, webp: sharp.versions.webp, node: process.versions.node },
  concurrency: sharp.concurrency(),
}, null, 2));
