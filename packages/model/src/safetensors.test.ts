import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bf16BitsToFloat32, f16BitsToFloat32, float32ToBf16Bits, float32ToF16Bits } from './half.js';
import {
  parseSafetensors,
  readSafetensors,
  type SafeTensor,
  SafetensorsError,
  serializeSafetensors,
  writeSafetensors,
} from './safetensors.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'safetensors-'));

/** A file built byte by byte, as another writer would: header JSON (padded to 8) then the data bytes. */
function rawFile(header: unknown, data: Uint8Array | number, pad = true): Uint8Array {
  let json = JSON.stringify(header);
  if (pad) json = json.padEnd(Math.ceil(json.length / 8) * 8, ' ');
  const h = new TextEncoder().encode(json);
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + h.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(body, 8 + h.length);
  return out;
}

const f32 = (shape: number[], begin: number) => ({
  dtype: 'F32',
  shape,
  data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)],
});

describe('safetensors', () => {
  it('round-trips every supported dtype, with metadata', async () => {
    const tensors = new Map<string, SafeTensor>([
      ['f32', { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-30, -7]) }],
      ['f64', { dtype: 'F64', shape: [2], data: Float64Array.from([Math.PI, -1e300]) }],
      ['f16', { dtype: 'F16', shape: [3], data: Float32Array.from([1, -0.5, 65504]) }],
      ['bf16', { dtype: 'BF16', shape: [2], data: Float32Array.from([1, -3.140625]) }],
      ['i64', { dtype: 'I64', shape: [2], data: BigInt64Array.from([-(2n ** 62n), 5n]) }],
      ['i32', { dtype: 'I32', shape: [1, 2], data: Int32Array.from([-7, 2 ** 31 - 1]) }],
      ['u8', { dtype: 'U8', shape: [3], data: Uint8Array.from([0, 128, 255]) }],
      ['bool', { dtype: 'BOOL', shape: [2], data: Uint8Array.from([1, 0]) }],
      ['scalar', { dtype: 'F32', shape: [], data: Float32Array.from([42]) }],
      ['empty', { dtype: 'F32', shape: [0, 4], data: new Float32Array(0) }],
    ]);
    const path = join(tmp(), 'all.safetensors');
    await writeSafetensors(path, tensors, { format: 'pt', note: 'hi' });
    const back = await readSafetensors(path);
    expect(back.metadata).toEqual({ format: 'pt', note: 'hi' });
    expect([...back.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) expect(back.tensors.get(name), name).toEqual(t);
  });

  it('lays out a padded header, aligned tensors, and a file that ends at the last offset', () => {
    const bytes = serializeSafetensors({
      a: { dtype: 'U8', shape: [3], data: Uint8Array.from([1, 2, 3]) },
      b: { dtype: 'F64', shape: [1], data: Float64Array.from([1]) },
      c: { dtype: 'F32', shape: [1], data: Float32Array.from([1]) },
    });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.b.data_offsets).toEqual([0, 8]);
    expect(header.c.data_offsets).toEqual([8, 12]);
    expect(header.a.data_offsets).toEqual([12, 15]);
    expect(bytes.length).toBe(8 + n + 15);
  });

  it('reads a file written by another program, unpadded header and unsorted offsets included', () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3, 4, 5]).buffer);
    const file = rawFile({ b: f32([2], 12), a: f32([3], 0), __metadata__: { format: 'pt' } }, data, false);
    const { tensors } = parseSafetensors(file, 'other.safetensors');
    expect([...tensors.get('a')!.data]).toEqual([1, 2, 3]);
    expect([...tensors.get('b')!.data]).toEqual([4, 5]);
  });

  it('converts half floats with round-to-nearest-even, overflow to infinity and underflow to zero', () => {
    const bits = float32ToF16Bits(
      Float32Array.from([1, 65504, 70000, 2 ** -24, 1e-8, 1 + 2 ** -11, 1 + 3 * 2 ** -11]),
    );
    expect([...bits]).toEqual([0x3c00, 0x7bff, 0x7c00, 0x0001, 0x0000, 0x3c00, 0x3c02]);
    expect([...f16BitsToFloat32(Uint16Array.from([0xc000, 0x0001, 0xfc00]))]).toEqual([
      -2,
      2 ** -24,
      -Infinity,
    ]);
    expect(Number.isNaN(f16BitsToFloat32(Uint16Array.from([0x7e00]))[0])).toBe(true);
    expect([...float32ToBf16Bits(Float32Array.from([1, -2, 1 + 2 ** -8, 1 + 3 * 2 ** -8]))]).toEqual([
      0x3f80, 0xc000, 0x3f80, 0x3f82,
    ]);
    expect([...bf16BitsToFloat32(Uint16Array.from([0x3f80, 0x4049]))]).toEqual([1, 3.140625]);
  });

  describe('rejects a malformed file, naming the file and the fault', () => {
    const bad = (bytes: Uint8Array, message: RegExp) => {
      const run = () => parseSafetensors(bytes, '/data/bad.safetensors');
      expect(run).toThrow(SafetensorsError);
      expect(run).toThrow(/^\/data\/bad\.safetensors: invalid safetensors file: /);
      expect(run).toThrow(message);
    };
    it('when it is shorter than the length prefix', () => bad(new Uint8Array(5), /5 bytes, shorter than/));
    it('when the header length runs past the end', () => {
      const file = rawFile({ a: f32([1], 0) }, 4);
      new DataView(file.buffer).setBigUint64(0, 10_000n, true);
      bad(file, /header length 10000 runs past the end/);
    });
    it('when the header is not JSON', () => {
      const file = rawFile({ a: f32([1], 0) }, 4);
      file[9] = 0x7b; // '{{'
      bad(file, /not valid UTF-8 JSON/);
    });
    it('when the header is not an object', () => bad(rawFile([1, 2], 0), /not a JSON object/));
    it('when a dtype is unknown', () =>
      bad(
        rawFile({ a: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, 1),
        /unknown dtype "F8_E4M3"/,
      ));
    it('when shape and dtype disagree with the byte span', () =>
      bad(
        rawFile({ a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 12] } }, 12),
        /needs 16 bytes.*span 12/,
      ));
    it('when a shape is not a list of non-negative integers', () =>
      bad(rawFile({ a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, 4), /shape \[-1\]/));
    it('when offsets are reversed', () =>
      bad(rawFile({ a: { dtype: 'U8', shape: [0], data_offsets: [4, 0] } }, 4), /begin <= end/));
    it('when tensors overlap', () =>
      bad(rawFile({ a: f32([2], 0), b: f32([2], 4) }, 12), /tensors "a" and "b" overlap at data offset 4/));
    it('when there is a gap between tensors', () =>
      bad(rawFile({ a: f32([1], 0), b: f32([1], 8) }, 12), /gap in data between offset 4 and 8/));
    it('when offsets run out of the data', () => bad(rawFile({ a: f32([4], 0) }, 8), /out of range/));
    it('when bytes trail the last tensor', () => bad(rawFile({ a: f32([1], 0) }, 7), /3 trailing bytes/));
    it('when metadata values are not strings', () =>
      bad(rawFile({ __metadata__: { n: 1 }, a: f32([1], 0) }, 4), /"__metadata__" value for "n"/));
  });

  it('names the path when reading a bad file from disk', async () => {
    const path = join(tmp(), 'broken.safetensors');
    writeFileSync(path, rawFile({ a: f32([1], 0) }, 9));
    await expect(readSafetensors(path)).rejects.toThrow(
      `${path}: invalid safetensors file: 5 trailing bytes`,
    );
  });

  it('refuses to write data whose length disagrees with its shape', () => {
    expect(() =>
      serializeSafetensors({ w: { dtype: 'F32', shape: [2, 2], data: new Float32Array(3) } }),
    ).toThrow(/"w": shape \[2,2\] holds 4 values, data has 3/);
  });

  it('overwrites atomically and leaves no temporary files behind', async () => {
    const dir = tmp();
    const path = join(dir, 'w.safetensors');
    await writeSafetensors(path, { w: { dtype: 'F32', shape: [1], data: Float32Array.from([1]) } });
    const before = readFileSync(path);
    await expect(
      writeSafetensors(path, { w: { dtype: 'F32', shape: [2], data: Float32Array.from([1]) } }),
    ).rejects.toThrow(SafetensorsError);
    expect(readFileSync(path)).toEqual(before);
    await writeSafetensors(path, { w: { dtype: 'F32', shape: [1], data: Float32Array.from([2]) } });
    expect([...(await readSafetensors(path)).tensors.get('w')!.data]).toEqual([2]);
    expect(readdirSync(dir)).toEqual(['w.safetensors']);
  });
});
