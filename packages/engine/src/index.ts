// @rlhfkit/engine: tensor programs written in TypeScript, differentiated in reverse mode, emitted as ONNX and
// run by ONNX Runtime. This file is the package's whole public API.
export { grad } from './autodiff.js';
export {
  causalAttention,
  crossEntropy,
  gatheredLogProbs,
  gelu,
  layerNorm,
  logSigmoid,
  logSoftmax,
  logSumExp,
  softmax,
} from './composite.js';
export type { DType, HostArray } from './dtype.js';
export {
  abs,
  add,
  and,
  cos,
  div,
  equal,
  erf,
  exp,
  greater,
  greaterEqual,
  less,
  lessEqual,
  log,
  maximum,
  minimum,
  mul,
  neg,
  not,
  or,
  pow,
  scalar,
  sigmoid,
  sign,
  sin,
  sqrt,
  sub,
  type TensorLike,
  tanh,
  where,
} from './elementwise.js';
export { evaluate, type TensorInput, type TensorValue, valueAndGrad } from './functional.js';
export { constant, Graph, type Primitive, Tensor, withGraph } from './graph.js';
export { argmax, gather, gatherElements, scatterAdd, scatterND, topK } from './indexing.js';
export { loop } from './loop.js';
export {
  AttrType as OnnxAttrType,
  encodeModel as encodeOnnxModel,
  IR_VERSION,
  type ModelJson as OnnxModelJson,
  OPSET,
} from './onnx-proto.js';
export {
  type AdamWConfig,
  adamw,
  adamwDefaults,
  clipGradNorm,
  globalNorm,
  type LrSchedule,
  lrAt,
  scheduledLr,
  sgd,
} from './optim.js';
export { type Feed, type InputSpec, Program } from './program.js';
export { matmul, reduceMax, reduceMean, reduceSum } from './reduce.js';
export { Rng } from './rng.js';
export {
  CudaUnavailableError,
  configureRuntime,
  type Device,
  DeviceUnavailableError,
  devices,
  getSession,
  type HostTensor,
  type RuntimeOptions,
  runtimeDefaults,
  type Session,
  type WebGpuProblem,
  WebGpuUnavailableError,
} from './runtime.js';
export { cumsum } from './scan.js';
export {
  cast,
  concat,
  expand,
  full,
  padZeros,
  reshape,
  slice,
  split,
  stopGradient,
  transpose,
  zeros,
} from './shape.js';
export {
  type FloatArray,
  type LossFn,
  type ParamSpec,
  Trainer,
  type TrainerConfig,
  type TrainerState,
} from './trainer.js';
