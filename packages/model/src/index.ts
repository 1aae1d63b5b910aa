// @rlhfkit/model: token policies of the GPT-2, Llama, Qwen2 and Qwen3 families with value and score heads,
// tokenizer, HF-compatible checkpoints, generation, pretraining and ONNX export. This file is the package's
// whole public API.
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
  savedConfig,
  saveModelDir,
} from './checkpoint-io.js';
export {
  ConfigError,
  type Family,
  type GenerationDefaults,
  type GPTConfig,
  gptConfig,
  gptDefaults,
  type ModelConfig,
  modelConfig,
  type RopeScaling,
  type Task,
} from './config.js';
export {
  generationConfigSchema,
  newModelIssues,
  newModelSchema,
  type PretrainConfig,
  type PretrainConfigInput,
  pretrainConfigIssues,
  pretrainConfigSchema,
  resolvePretrainConfig,
  sftConfigSchema,
} from './configs.js';
export type { Decoder, ForwardInputs, HostParams, Linear, Params } from './decoder.js';
export { decoder, forwardHidden, initParams, lmHeadWeight, lmLogits, scalarHead } from './forward.js';
export { compileGenerate, type GenerateShape } from './generate.js';
export { mlpResidual, qkvHeads } from './gpt.js';
export { fromHFConfig, hfArchitecture, toHFConfig, toHFGenerationConfig } from './hf-config.js';
export {
  type LMBatch,
  type LMData,
  promptCompletion,
  type SftExample,
  sftData,
  textData,
} from './lm-data.js';
export { buildOnnxDecoder, exportOnnx } from './onnx-export.js';
export { embedName, hasOwnLMHead, headShapes, layerProjections, paramShapes } from './param-shapes.js';
export {
  lmLoss,
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
export { renderPrompt, type SftFormat, sftExamples } from './trl-rows.js';
