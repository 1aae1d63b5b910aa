/**
 * Our own safetensors reader and writer: no maintained npm package exists, and the format is small.
 *
 * Layout: an 8-byte little-endian u64 header length N; N bytes of UTF-8 JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__"?: { key: string } }`, padded with
 * spaces to a multiple of 8; then the data region, row-major little-endian, where the tensors tile the region
 * from offset 0 with no gaps and the file ends at the last offset. The reader checks all of that and names
 * the file and the fault in its error. F16 and BF16 tensors are widened to Float32Array on read (and narrowed
 * back on write), since we compute in float32.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@rlhfkit/io';
import { bf16BitsToFloat32, f16BitsToFloat32, float32ToBf16Bits, float32ToF16Bits } from './half.js';

export type SafeDtype = 'F32' | 'F64' | 'F16' | 'BF16' | 'I64' | 'I32' | 'U8' | 'BOOL';

/** One tensor. F16 and BF16 hold their values widened to float32; BOOL holds 0 or 1 per byte. */
export type SafeTensor =
  | { dtype: 'F32' | 'F16' | 'BF16'; shape: number[]; data: Float32Array }
  | { dtype: 'F64'; shape: number[]; data: Float64Array }
  | { dtype: 'I64'; shape: number[]; data: BigInt64Array }
  | { dtype: 'I32'; shape: number[]; data: Int32Array }
  | { dtype: 'U8' | 'BOOL'; shape: number[]; data: Uint8Array };

export interface SafetensorsFile {
  /** Tensors in file order. */
  tensors: Map<string, SafeTensor>;
  /** The optional "__metadata__" string map ({} when absent). */
  metadata: Record<string, string>;
}

/** A malformed safetensors file; the message names the file and what is wrong. */
export class SafetensorsError extends Error {
  override name = 'SafetensorsError';
}

/** Bytes per element of each dtype as stored on disk. */
export const dtypeBytes: Record<SafeDtype, number> = {
  F64: 8,
  I64: 8,
  F32: 4,
  I32: 4,
  F16: 2,
  BF16: 2,
  U8: 1,
  BOOL: 1,
};

/** The official implementation caps the header at 100 MB; so do we, to fail fast on garbage. */
const maxHeaderBytes = 100_000_000;

const hostIsLittleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isSafeDtype(d: unknown): d is SafeDtype {
  return typeof d === 'string' && Object.hasOwn(dtypeBytes, d);
}

/** Read and validate a safetensors file. */
export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return parseSafetensors(await readFile(path), path);
}

interface Entry {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  begin: number;
  end: number;
}

/** Parse and validate safetensors bytes; `source` (a path, usually) is named in errors. */
export function parseSafetensors(bytes: Uint8Array, source = '<bytes>'): SafetensorsFile {
  const fail = (what: string): never => {
    throw new SafetensorsError(`${source}: invalid safetensors file: ${what}`);
  };
  if (!hostIsLittleEndian) fail('big-endian hosts are not supported');
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8))
    fail(`header length ${n} runs past the end of the ${bytes.length}-byte file`);
  const headerLen = Number(n);
  if (headerLen > maxHeaderBytes) fail(`header length ${headerLen} exceeds the ${maxHeaderBytes}-byte limit`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (err) {
    return fail(`header is not valid UTF-8 JSON (${(err as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header))
    fail('header is not a JSON object');
  const metadata = parseMetadata((header as Record<string, unknown>)['__metadata__'], fail);
  const entries: Entry[] = [];
  for (const [name, info] of Object.entries(header as Record<string, unknown>)) {
    if (name !== '__metadata__') entries.push(parseEntry(name, info, fail));
  }
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  checkTiling(entries, dataLen, fail);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries)
    tensors.set(e.name, decode(e, bytes.subarray(dataStart + e.begin, dataStart + e.end)));
  return { tensors, metadata };
}

function parseMetadata(raw: unknown, fail: (what: string) => never): Record<string, string> {
  if (raw === undefined) return {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('"__metadata__" is not an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    if (typeof v !== 'string') fail(`"__metadata__" value for "${k}" is not a string`);
    out[k] = v as string;
  }
  return out;
}

function parseEntry(name: string, info: unknown, fail: (what: string) => never): Entry {
  if (typeof info !== 'object' || info === null) return fail(`tensor "${name}": entry is not an object`);
  const { dtype, shape, data_offsets: offsets } = info as Record<string, unknown>;
  if (!isSafeDtype(dtype)) {
    return fail(
      `tensor "${name}": unknown dtype ${JSON.stringify(dtype)} (known: ${Object.keys(dtypeBytes)})`,
    );
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    return fail(`tensor "${name}": shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0) ||
    offsets[0] > offsets[1]
  ) {
    return fail(
      `tensor "${name}": data_offsets ${JSON.stringify(offsets)} is not [begin, end] with begin <= end`,
    );
  }
  const [begin, end] = offsets as [number, number];
  const count = (shape as number[]).reduce((a, b) => a * b, 1);
  const want = count * dtypeBytes[dtype];
  if (end - begin !== want) {
    fail(
      `tensor "${name}": shape [${shape}] of ${dtype} needs ${want} bytes but data_offsets [${begin}, ${end}] ` +
        `span ${end - begin}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin, end };
}

/** The tensors must cover [0, dataLen) exactly, in some order, without overlaps or gaps. */
function checkTiling(entries: Entry[], dataLen: number, fail: (what: string) => never): void {
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  let prev = '';
  for (const e of sorted) {
    if (e.end > dataLen) {
      fail(
        `tensor "${e.name}": data_offsets [${e.begin}, ${e.end}] out of range of the ${dataLen}-byte data`,
      );
    }
    if (e.begin < pos) fail(`tensors "${prev}" and "${e.name}" overlap at data offset ${e.begin}`);
    if (e.begin > pos) fail(`gap in data between offset ${pos} and ${e.begin} (before tensor "${e.name}")`);
    pos = e.end;
    prev = e.name;
  }
  if (pos !== dataLen)
    fail(`${dataLen - pos} trailing bytes after the last tensor (data ends at offset ${pos})`);
}

/** Copy (never alias) the bytes into a fresh typed array, so the result is aligned and owns its memory. */
function decode(e: Entry, raw: Uint8Array): SafeTensor {
  const buf = new Uint8Array(raw).buffer; // a copy (Buffer.slice would alias the pool)
  const shape = e.shape;
  switch (e.dtype) {
    case 'F32':
      return { dtype: 'F32', shape, data: new Float32Array(buf) };
    case 'F16':
      return { dtype: 'F16', shape, data: f16BitsToFloat32(new Uint16Array(buf)) };
    case 'BF16':
      return { dtype: 'BF16', shape, data: bf16BitsToFloat32(new Uint16Array(buf)) };
    case 'F64':
      return { dtype: 'F64', shape, data: new Float64Array(buf) };
    case 'I64':
      return { dtype: 'I64', shape, data: new BigInt64Array(buf) };
    case 'I32':
      return { dtype: 'I32', shape, data: new Int32Array(buf) };
    case 'U8':
    case 'BOOL':
      return { dtype: e.dtype, shape, data: new Uint8Array(buf) };
  }
}

function encode(name: string, t: SafeTensor): Uint8Array {
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (t.data.length !== count) {
    throw new SafetensorsError(
      `tensor "${name}": shape [${t.shape}] holds ${count} values, data has ${t.data.length}`,
    );
  }
  let out: ArrayBufferView;
  if (t.dtype === 'F16') out = float32ToF16Bits(t.data);
  else if (t.dtype === 'BF16') out = float32ToBf16Bits(t.data);
  else out = t.data;
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Serialize tensors. Like the reference implementation, tensors are laid out by descending element size, then
 * name, so every tensor starts at an offset aligned to its element size (the header is padded to 8 bytes).
 */
export function serializeSafetensors(
  tensors: Map<string, SafeTensor> | Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list = (tensors instanceof Map ? [...tensors] : Object.entries(tensors)).map(([name, t]) => ({
    name,
    t,
    bytes: encode(name, t),
  }));
  list.sort((a, b) => dtypeBytes[b.t.dtype] - dtypeBytes[a.t.dtype] || (a.name < b.name ? -1 : 1));
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const { name, t, bytes } of list) {
    if (name === '__metadata__') throw new SafetensorsError('a tensor may not be named "__metadata__"');
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    offset += bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const { bytes } of list) {
    out.set(bytes, pos);
    pos += bytes.length;
  }
  return out;
}

/** Write a safetensors file atomically (temp file in the same directory, fsync, rename). */
export async function writeSafetensors(
  path: string,
  tensors: Map<string, SafeTensor> | Record<string, SafeTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata));
}
