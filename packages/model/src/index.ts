// @rlhfkit/model: GPT token policy with value and score heads, tokenizer, HF-compatible checkpoints,
// generation, pretraining and ONNX export. This file is the package's whole public API.
export { bucket, type PaddedBatch, padLeft, padRight } from './batch.js';
export {
  type BpeModel,
  type BpeTrainOptions,
  byteToUnicode,
  gpt2SplitPattern,
  trainBpe,
} from './bpe-train.js';
export { CausalLM, type GenerateOptions, type Generation, loadCausalLM } from './causal-lm.js';
export {
  type ChatMessage,
  type ChatTemplateOptions,
  type MaskedChat,
  plainChatTemplate,
} from './chat-template.js';
export {
  CheckpointError,
  checkParams,
  loadModelDir,
  type ModelDir,
  type NamedTensors,
  type ParamTensor,
  paramsFromHF,
  type SaveModelDirOptions,
  saveModelDir,
} from './checkpoint-io.js';
export {
  ConfigError,
  fromHFConfig,
  type GenerationDefaults,
  type GPTConfig,
  gptConfig,
  gptDefaults,
  toHFConfig,
  toHFGenerationConfig,
} from './config.js';
export { compileGenerate, type GenerateShape } from './generate.js';
export {
  forwardHidden,
  type HostParams,
  initParams,
  lmLogits,
  mlpResidual,
  type Params,
  qkvHeads,
  scalarHead,
} from './gpt.js';
export { type LMBatch, type LMData, type SftExample, sftData, textData } from './lm-data.js';
export { buildOnnxDecoder, exportOnnx } from './onnx-export.js';
export { headShapes, paramShapes } from './param-shapes.js';
export {
  lmLoss,
  type PretrainConfig,
  type PretrainOptions,
  type PretrainResult,
  pretrain,
  pretrainDefaults,
} from './pretrain.js';
export {
  parseSafetensors,
  readSafetensors,
  type SafeDtype,
  type SafeTensor,
  SafetensorsError,
  type SafetensorsFile,
  serializeSafetensors,
  writeSafetensors,
} from './safetensors.js';
export { type SamplingConfig, sampleTokens, samplingDefaults } from './sampling.js';
export {
  bpeTokenizerFiles,
  Tokenizer,
  type TokenizerFiles,
  type TokenizerTrainOptions,
} from './tokenizer.js';
export { TokenizerError } from './tokenizer-config.js';
export {
  type CheckpointContents,
  hasCheckpoint,
  loadCheckpoint,
  moments,
  saveCheckpoint,
} from './training-checkpoint.js';
