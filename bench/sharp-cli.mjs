// The sharp counterpart of `imgflow resize`, for whole-process timing: one
// process makes every preset of each FILE and writes DIR/<name>/<preset>.jpg
// (the layout imgflow resize uses).
//
//   SHARP_PREFIX=DIR node bench/sharp-cli.mjs --out DIR [--presets FILE] FILE...
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { loadSharp, loadPresets, variant, parseArgs } from './sharp-common.mjs';

const opts = parseArgs(process.argv.slice(2), { presets: 'bench/presets.json', out: '' });
if (!opts.out || opts.files.length === 0) {
  console.error('usage: node bench/sharp-cli.mjs --out DIR [--presets FILE] FILE...');
  process.exit(2);
}
const sharp = loadSharp();
const presets = loadPresets(opts.presets);
for (const file of opts.files) {
  const buf = readFileSync(file);
  const { hasAlpha } = await sharp(buf).metadata();
  const dir = join(opts.out, basename(file, extname(file)));
  mkdirSync(dir, { recursive: true });
  for (const p of presets) {
    const t0 = process.hrtime.bigint();
    const { data, info } = await variant(sharp, buf, p, hasAlpha);
    writeFileSync(join(dir, `${p.name}.jpg`), data);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    console.log(`${basename(file)}\t${p.name}\t${info.width}x${info.height}\tjpeg\t${data.length}\t${ms.toFixed(1)}`);
  }
}
