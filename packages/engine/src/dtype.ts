/** Element types a tensor can hold, with their ONNX TensorProto.DataType codes and host arrays. */
export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool';

export type HostArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export const onnxDataType: Record<DType, number> = {
  float32: 1,
  int32: 6,
  int64: 7,
  bool: 9,
  float64: 11,
};

export const isFloat = (d: DType): boolean => d === 'float32' || d === 'float64';

/** Convert plain numbers to the host array ORT expects for a dtype. */
export function toHostArray(data: ArrayLike<number> | HostArray, dtype: DType): HostArray {
  switch (dtype) {
    case 'float32':
      return data instanceof Float32Array ? data : Float32Array.from(data as ArrayLike<number>);
    case 'float64':
      return data instanceof Float64Array ? data : Float64Array.from(data as ArrayLike<number>);
    case 'int32':
      return data instanceof Int32Array ? data : Int32Array.from(data as ArrayLike<number>);
    case 'int64': {
      if (data instanceof BigInt64Array) return data;
      const src = data as ArrayLike<number>;
      const out = new BigInt64Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = BigInt(Math.trunc(src[i]!));
      return out;
    }
    case 'bool': {
      if (data instanceof Uint8Array) return data;
      const src = data as ArrayLike<number>;
      const out = new Uint8Array(src.length);
      for (let i = 0; i < src.length; i++) out[i] = src[i] ? 1 : 0;
      return out;
    }
  }
}

/** Little-endian bytes of a host array (for ONNX raw_data). */
export function toBytes(a: HostArray): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

export const sizeOf = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);
