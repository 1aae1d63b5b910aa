/**
 * 16-bit float conversions for safetensors F16 and BF16 tensors. We compute in float32, so 16-bit tensors are
 * widened on read and narrowed (round to nearest, ties to even) on write.
 */

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits to float32 values. */
export function f16BitsToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const h = src[i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exp = (h >> 10) & 0x1f;
    const mant = h & 0x3ff;
    if (exp === 0) out[i] = sign * mant * 2 ** -24;
    else if (exp === 31) out[i] = mant ? Number.NaN : sign * Number.POSITIVE_INFINITY;
    else out[i] = sign * 2 ** (exp - 15) * (1 + mant / 1024);
  }
  return out;
}

/** float32 values to IEEE 754 binary16 bits, rounding to nearest even; overflow gives infinity. */
export function float32ToF16Bits(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    f32[0] = src[i]!;
    const x = u32[0]!;
    const sign = (x >>> 16) & 0x8000;
    const exp = (x >>> 23) & 0xff;
    let mant = x & 0x7fffff;
    if (exp === 255) {
      out[i] = sign | 0x7c00 | (mant ? 0x200 : 0);
      continue;
    }
    const e = exp - 127 + 15;
    if (e >= 31) {
      out[i] = sign | 0x7c00;
    } else if (e <= 0) {
      // subnormal half (or zero): shift the mantissa, implicit bit included, into the 10-bit field
      if (e < -10) {
        out[i] = sign;
        continue;
      }
      mant |= 0x800000;
      const shift = 14 - e;
      let half = mant >>> shift;
      const rem = mant & ((1 << shift) - 1);
      const halfway = 1 << (shift - 1);
      if (rem > halfway || (rem === halfway && half & 1)) half++;
      out[i] = sign | half;
    } else {
      let half = sign | (e << 10) | (mant >>> 13);
      const rem = mant & 0x1fff;
      // a carry out of the mantissa correctly bumps the exponent (up to infinity)
      if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
      out[i] = half;
    }
  }
  return out;
}

/** bfloat16 bits (the top half of a float32) to float32 values. */
export function bf16BitsToFloat32(src: Uint16Array): Float32Array {
  const out = new Float32Array(src.length);
  const bits = new Uint32Array(out.buffer);
  for (let i = 0; i < src.length; i++) bits[i] = src[i]! << 16;
  return out;
}

/** float32 values to bfloat16 bits, rounding to nearest even; NaN stays NaN. */
export function float32ToBf16Bits(src: Float32Array): Uint16Array {
  const out = new Uint16Array(src.length);
  for (let i = 0; i < src.length; i++) {
    f32[0] = src[i]!;
    const x = u32[0]!;
    if ((x & 0x7f800000) === 0x7f800000 && x & 0x7fffff) out[i] = ((x >>> 16) & 0x8000) | 0x7fc0;
    else out[i] = (x + 0x7fff + ((x >>> 16) & 1)) >>> 16;
  }
  return out;
}
