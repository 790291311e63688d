/** Reading the PNGs the charts come out as: the signature, the size in IHDR, a pixel. */
import { inflateSync } from 'node:zlib';
import { expect } from 'vitest';

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngInfo {
  width: number;
  height: number;
  colorType: number;
}

/** Checks the signature and reads the IHDR chunk, which the PNG spec puts first. */
export function readPngHeader(png: Buffer): PngInfo {
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(png.toString('latin1', 12, 16)).toBe('IHDR');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20), colorType: png.readUInt8(25) };
}

/**
 * RGBA of the top-left pixel. Every PNG row filter predicts the first pixel of the
 * first row from zeros, so its stored bytes are the raw colour whatever the filter.
 */
export function topLeftPixel(png: Buffer): number[] {
  expect(readPngHeader(png).colorType).toBe(6); // 8-bit RGBA
  const idat: Buffer[] = [];
  for (let offset = 8; offset < png.length; ) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    if (type === 'IDAT') idat.push(png.subarray(offset + 8, offset + 8 + length));
    offset += 12 + length;
  }
  const pixels = inflateSync(Buffer.concat(idat));
  return [...pixels.subarray(1, 5)];
}
