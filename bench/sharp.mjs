// Times sharp warm, inside one process: reads the image once, runs the
// 4-size unit (each preset from the original bytes, sequentially) once
// untimed and then K times, and prints the runs and the median as JSON.
//
//   SHARP_PREFIX=DIR node bench/sharp.mjs [--k 5] [--presets FILE] [--only thumb] FILE
import { readFileSync } from 'node:fs';
import { loadSharp, loadPresets, variant, parseArgs, median } from './sharp-common.mjs';

const opts = parseArgs(process.argv.slice(2), { k: '5', warmup: '1', presets: 'bench/presets.json', only: '' });
if (opts.files.length !== 1) {
  console.error('usage: node bench/sharp.mjs [--k N] [--presets FILE] [--only NAMES] FILE');
  process.exit(2);
}
const sharp = loadSharp();
let presets = loadPresets(opts.presets);
if (opts.only) presets = presets.filter((p) => opts.only.split(',').includes(p.name));
const k = Number(opts.k);
const warmup = Number(opts.warmup);
const buf = readFileSync(opts.files[0]);
const { hasAlpha } = await sharp(buf).metadata();

const runs = [];
const cpu = []; // process.cpuUsage: user+system of the whole process, libvips threads included
const per = presets.map(() => []);
const variants = [];
for (let i = 0; i < warmup + k; i++) {
  let unit = 0;
  const c0 = process.cpuUsage();
  for (const [v, p] of presets.entries()) {
    const t0 = process.hrtime.bigint();
    const { data, info } = await variant(sharp, buf, p, hasAlpha);
    const d = Number(process.hrtime.bigint() - t0) / 1e6;
    unit += d;
    if (i >= warmup) per[v].push(d);
    variants[v] = { preset: p.name, width: info.width, height: info.height, bytes: data.length };
  }
  if (i >= warmup) {
    runs.push(unit);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
}
variants.forEach((v, i) => { v.median_ms = median(per[i]); });
console.log(JSON.stringify({
  file: opts.files[0], k, runs_ms: runs, median_ms: median(runs), cpu_runs_ms: cpu, cpu_median_ms: median(cpu), variants,
  versions: { sharp: sharp.versions.sharp, vips: sharp.versions.vips, node: process.versions.node },
  concurrency: sharp.concurrency(),
}, null, 2));
