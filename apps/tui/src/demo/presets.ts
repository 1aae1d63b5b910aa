/**
 * The demo's two presets. `default` is sized to finish in under 10 minutes on 2 CPU cores on a first run;
 * `ci` is a reduced run for the test suite (the limit is 3 minutes; it took 117-134 s alone on the 2-core machine):
 * a 2-layer model, so pretraining fits, and two well-separated pairs per prompt, so the reward model still
 * learns (held-out accuracy 0.71-0.76 over seeds 0-2). Stages are cached in the run directory.
 */
import type { PPOConfig } from '@rlhfkit/ppo';

export interface DemoPreset {
  /** BPE vocabulary size. */
  vocabSize: number;
  model: { nLayer: number; nHead: number; nEmbd: number; nPositions: number };
  pretrain: { steps: number; batchSize: number; contextLength: number; lr: number; stepsPerRun: number };
  /**
   * Preference pairs: prompts sampled; samplesPerPrompt completions each, sorted by gold score and paired
   * outside-in (best with worst, second with second-worst, …) up to pairsPerPrompt pairs, ties dropped;
   * prompt words; completion tokens; Bradley-Terry label noise τ; share of prompts held out for evaluation.
   */
  pairs: {
    prompts: number;
    samplesPerPrompt: number;
    pairsPerPrompt: number;
    promptWords: number;
    maxNewTokens: number;
    temperature: number;
    noise: number;
    evalFraction: number;
  };
  rewardModel: { epochs: number; batchSize: number; lr: number };
  ppo: Partial<PPOConfig>;
  /** Held-out prompts and samples per prompt for the before/after evaluation. */
  evaluation: { prompts: number; samplesPerPrompt: number };
}

const defaultPreset: DemoPreset = {
  vocabSize: 2048,
  model: { nLayer: 4, nHead: 4, nEmbd: 128, nPositions: 64 },
  pretrain: { steps: 1000, batchSize: 32, contextLength: 64, lr: 3e-3, stepsPerRun: 10 },
  pairs: {
    prompts: 2000,
    samplesPerPrompt: 8,
    pairsPerPrompt: 2,
    promptWords: 4,
    maxNewTokens: 20,
    temperature: 1,
    noise: 0.5,
    evalFraction: 0.15,
  },
  rewardModel: { epochs: 2, batchSize: 32, lr: 1e-3 },
  ppo: {
    algorithm: 'ppo',
    iterations: 60,
    promptsPerIteration: 32,
    groupSize: 1,
    minibatchSize: 16,
    ppoEpochs: 4,
    maxNewTokens: 20,
    lr: 3e-4,
    klCoef: 0.15,
    checkpointEvery: 10,
  },
  evaluation: { prompts: 96, samplesPerPrompt: 4 },
};

const ciPreset: DemoPreset = {
  vocabSize: 1024,
  model: { nLayer: 2, nHead: 4, nEmbd: 128, nPositions: 64 },
  pretrain: { steps: 1000, batchSize: 32, contextLength: 64, lr: 4e-3, stepsPerRun: 10 },
  pairs: {
    prompts: 2400,
    samplesPerPrompt: 8,
    pairsPerPrompt: 2,
    promptWords: 4,
    maxNewTokens: 16,
    temperature: 1,
    noise: 0.5,
    evalFraction: 0.15,
  },
  rewardModel: { epochs: 2, batchSize: 32, lr: 1e-3 },
  ppo: {
    algorithm: 'ppo',
    iterations: 30,
    promptsPerIteration: 16,
    groupSize: 1,
    minibatchSize: 8,
    ppoEpochs: 4,
    maxNewTokens: 16,
    lr: 5e-4,
    klCoef: 0.15,
    checkpointEvery: 10,
  },
  evaluation: { prompts: 64, samplesPerPrompt: 4 },
};

export const presets = { default: defaultPreset, ci: ciPreset } as const;
export type PresetName = keyof typeof presets;
