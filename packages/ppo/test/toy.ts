// The toy task the loop's tests share: a 2-layer GPT with a BPE vocabulary of 300 trained on three sentences,
// six prompts, and a reward that counts the letter 'a' in the completion (about 0.3 at the start, 8 at most).
import { CausalLM, gptConfig, initParams, Tokenizer } from '@rlhfkit/model';
import type { PPOConfig } from '../src/config.js';
import { ruleScorer } from '../src/scorer.js';

const text = 'the cat sat on the mat. a dog ran in the fog. we see the sea and the sun. '.repeat(30);
export const tok = Tokenizer.train(text, { vocabSize: 300 });
const config = gptConfig({
  nLayer: 2,
  nHead: 2,
  nEmbd: 32,
  vocabSize: tok.vocabSize,
  nPositions: 32,
  bosTokenId: tok.bosTokenId,
  eosTokenId: tok.eosTokenId,
});
export const prompts = ['the cat', 'a dog', 'we see', 'the sun', 'on the', 'ran in'];
export const countA = (c: string) => [...c].filter((ch) => ch === 'a').length;
export const scorer = ruleScorer((_p, c) => countA(c));
/** The same freshly initialised policy every call. */
export const policy = () => new CausalLM(config, initParams(config, 5), {}, {}, tok);
/** Settings under which every estimator learns the toy task in 16 iterations. */
export const base: Partial<PPOConfig> = {
  iterations: 16,
  promptsPerIteration: 4,
  groupSize: 4,
  minibatchSize: 8,
  ppoEpochs: 4,
  maxNewTokens: 8,
  lr: 1e-2,
  klCoef: 0.2,
  checkpointEvery: 0,
};
/** Mean of metric k over the first (or last) n iterations. */
export const first = (h: Record<string, number>[], k: string, n = 3) =>
  h.slice(0, n).reduce((s, m) => s + m[k]!, 0) / n;
export const last = (h: Record<string, number>[], k: string, n = 3) =>
  h.slice(-n).reduce((s, m) => s + m[k]!, 0) / n;
