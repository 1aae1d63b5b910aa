// @rlhfkit/model: GPT token policy with value and score heads, tokenizer, HF-compatible checkpoints,
// generation, pretraining and ONNX export. This file is the package's whole public API.
export { fsyncDir, writeDirAtomic, writeFileAtomic } from './atomic.js';
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
export {
  parseSafetensors,
  readSafetensors,
  type SafeDtype,
  SafetensorsError,
  type SafeTensor,
  type SafetensorsFile,
  serializeSafetensors,
  writeSafetensors,
} from './safetensors.js';
