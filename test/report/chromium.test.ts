/** The HTML report in a real browser: headless Chromium renders it and the charts' colours are on the screenshot. */
import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inflateSync } from 'node:zlib';
import { buildReport, renderHtml } from '../../src/report/index.js';
import { loadRuleFiles } from '../../src/rules/index.js';
import { FROM, M, TIME_ZONE, TO, WORKING_HOURS, seededHistory } from '../support/history.js';
import { scratchDir } from '../support/scratch.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => {
  try {
    accessSync(p, constants.X_OK);
    return true;
  } catch {
    return false;
  }
});
const inCI = !['', '0', 'false', undefined].includes(process.env.CI?.toLowerCase());
/** Kept after the run for a person to look at (not a scratch folder). */
const OUTPUT = resolve(process.cwd(), 'test-output', 'report');

if (!CHROMIUM) {
  if (inCI) throw new Error('chromium is missing: install the Debian package "chromium" (CI=true requires it)');
  console.warn('skipped: HTML report in headless Chromium: chromium not found (Debian package "chromium")');
}

/** RGB(A) pixels of an 8-bit non-interlaced PNG, unfiltered. */
function decodePng(buf: Buffer): { width: number; height: number; channels: number; pixels: Buffer } {
  expect(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      expect(data[8]).toBe(8); // bit depth
      channels = data[9] === 6 ? 4 : data[9] === 2 ? 3 : 0;
      expect(channels).toBeGreaterThan(0);
      expect(data[12]).toBe(0); // not interlaced
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const pixels = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let x = 0; x < stride; x++) {
      const cur = raw[y * (stride + 1) + 1 + x];
      const a = x >= channels ? pixels[y * stride + x - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[(y - 1) * stride + x - channels] : 0;
      let v: number;
      if (filter === 0) v = cur;
      else if (filter === 1) v = cur + a;
      else if (filter === 2) v = cur + b;
      else if (filter === 3) v = cur + ((a + b) >> 1);
      else {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v = cur + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      pixels[y * stride + x] = v & 0xff;
    }
  }
  return { width, height, channels, pixels };
}

function countColor(png: ReturnType<typeof decodePng>, hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < png.pixels.length; i += png.channels) {
    if (Math.abs(png.pixels[i] - r) <= 6 && Math.abs(png.pixels[i + 1] - g) <= 6 && Math.abs(png.pixels[i + 2] - b) <= 6) n++;
  }
  return n;
}

(CHROMIUM ? test : test.skip)('the HTML report renders in headless Chromium with its charts visible', async () => {
  const seeded = await seededHistory();
  const rules = (await loadRuleFiles([seeded.rulesPath])).files.flatMap((f) => f.groups);
  const report = await buildReport(seeded.store, { from: FROM, to: TO, now: TO + M, timeZone: TIME_ZONE, workingHours: WORKING_HOURS, rules });
  seeded.store.close();
  mkdirSync(OUTPUT, { recursive: true });
  const html = join(OUTPUT, 'report.html');
  const png = join(OUTPUT, 'report.png');
  writeFileSync(html, renderHtml(report));
  const profile = await scratchDir(join(tmpdir(), 'vigil-chromium-'));
  await new Promise<void>((done, fail) =>
    execFile(
      CHROMIUM as string,
      ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', `--user-data-dir=${profile}`, `--screenshot=${png}`, '--window-size=1280,2000', `file://${html}`],
      { timeout: 90_000 },
      (err, _out, stderr) => (err ? fail(new Error(`chromium failed: ${err.message}\n${stderr}`)) : done()),
    ),
  );
  expect(statSync(png).size).toBeGreaterThan(20_000);
  const image = decodePng(readFileSync(png));
  expect([image.width, image.height]).toEqual([1280, 2000]);
  // the bars' fills: P1 red and P2 orange (fires per day, top rules), green and red (actionable share)
  expect(countColor(image, '#d62728')).toBeGreaterThan(500);
  expect(countColor(image, '#ff7f0e')).toBeGreaterThan(500);
  expect(countColor(image, '#2ca02c')).toBeGreaterThan(500);
  // and it is not one colour: a blank page is almost all white
  expect(countColor(image, '#ffffff')).toBeLessThan(image.width * image.height * 0.97);
});
