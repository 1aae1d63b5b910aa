import { describe, expect, it } from 'vitest';
import { ConfigError, gptConfig, gptDefaults, modelConfig } from './config.js';

const tiny = {
  nLayer: 2,
  nHead: 2,
  nEmbd: 16,
  vocabSize: 50,
  nPositions: 32,
  bosTokenId: 49,
  eosTokenId: 49,
};

describe('model config', () => {
  it('fills defaults (GPT-2 small) and derives what follows from the sizes given', () => {
    expect(gptConfig()).toEqual(gptDefaults);
    expect(gptConfig(tiny)).toEqual({
      ...gptDefaults,
      ...tiny,
      nKVHead: 2,
      headDim: 8,
      nInner: 64,
      eosTokenIds: [49],
    });
  });

  it('gives each Llama family its own defaults: RMSNorm eps, untied head, biases, q/k norms', () => {
    const pick = (family: 'llama' | 'qwen2' | 'qwen3') => {
      const c = modelConfig({ ...tiny, family, nHead: 4, nKVHead: 2 });
      return [c.layerNormEpsilon, c.tieWordEmbeddings, c.qkvBias, c.oBias, c.mlpBias, c.qkNorm, c.headDim];
    };
    expect(pick('llama')).toEqual([1e-6, false, false, false, false, false, 4]);
    expect(pick('qwen2')).toEqual([1e-6, false, true, false, false, false, 4]);
    expect(pick('qwen3')).toEqual([1e-6, false, false, false, false, true, 4]);
    // Qwen3-style: head_dim set on its own, not nEmbd / nHead.
    expect(modelConfig({ ...tiny, family: 'qwen3', nHead: 4, nKVHead: 1, headDim: 6 }).headDim).toBe(6);
  });

  it('says why a config is invalid, listing every problem', () => {
    expect(() => gptConfig({ ...tiny, nEmbd: 18, nHead: 4 })).toThrow(
      'nEmbd (18) must be divisible by nHead (4)',
    );
    expect(() => gptConfig({ ...tiny, nLayer: 0, eosTokenId: 50 })).toThrow(
      /nLayer must be a positive integer, got 0; eosTokenId must be an integer in \[0, vocabSize=50\), got 50/,
    );
    expect(() => gptConfig({ ...tiny, layerNormEpsilon: -1 })).toThrow(/layerNormEpsilon must be a positive/);
    expect(() => gptConfig({ ...tiny, nLayers: 3 } as never)).toThrow(/unknown fields: nLayers/);
    expect(() => gptConfig({ ...tiny, nHead: 2.5 })).toThrow(ConfigError);
    expect(() => gptConfig({ ...tiny, nKVHead: 1 })).toThrow(/GPT-2 has no grouped-query attention/);
    const llama = { ...tiny, family: 'llama' as const, nHead: 4 };
    expect(() => modelConfig({ ...llama, nKVHead: 3 })).toThrow(
      'nHead (4) must be a multiple of nKVHead (3)',
    );
    expect(() => modelConfig({ ...llama, headDim: 5 })).toThrow('headDim (5) must be even');
    expect(() => modelConfig({ ...llama, eosTokenIds: [49, 60] })).toThrow(
      /eosTokenIds\[1\] must be an integer/,
    );
    expect(() => modelConfig({ ...llama, ropeScaling: { type: 'linear', factor: 0.5 } })).toThrow(
      /ropeScaling.factor must be >= 1/,
    );
    expect(() => modelConfig({ ...llama, family: 'mistral' as never })).toThrow(/family must be gpt2, llama/);
  });
});
