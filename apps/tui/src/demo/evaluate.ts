/** Stage 6 of the demo: gold score, reward-model score and KL, before and after RL, on held-out prompts. */
import type { CausalLM } from '@rlhfkit/model';
import { layoutRollout, rolloutStats } from '@rlhfkit/ppo';
import type { RewardModel } from '@rlhfkit/reward-model';
import type { DemoPreset } from './presets.js';

export interface EvalInputs {
  base: CausalLM;
  tuned: CausalLM;
  rm: RewardModel;
  prompts: string[];
  preset: DemoPreset;
  seed: number;
  gold: (text: string) => number;
}

interface PolicySamples {
  prompts: string[];
  promptTokens: number[][];
  tokens: number[][];
  completions: string[];
}

async function sample(
  lm: CausalLM,
  prompts: string[],
  n: number,
  maxNewTokens: number,
  seed: number,
): Promise<PolicySamples> {
  const tok = lm.tokenizer!;
  const rows = prompts.flatMap((p) => Array<string>(n).fill(p));
  const out: PolicySamples = {
    prompts: rows,
    promptTokens: rows.map((p) => tok.encode(p)),
    tokens: [],
    completions: [],
  };
  for (let i = 0; i < rows.length; i += 32) {
    const gen = await lm.generate(out.promptTokens.slice(i, i + 32), {
      maxNewTokens,
      temperature: 1,
      seed: seed + i,
    });
    out.tokens.push(...gen);
  }
  out.completions = out.tokens.map((t) => tok.decode(t.filter((x) => x !== tok.eosTokenId)));
  return out;
}

const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / Math.max(1, a.length);

export async function evaluatePolicies(x: EvalInputs): Promise<Record<string, unknown>> {
  const N = x.preset.ppo.maxNewTokens ?? 20;
  const n = x.preset.evaluation.samplesPerPrompt;
  const before = await sample(x.base, x.prompts, n, N, x.seed + 31);
  const after = await sample(x.tuned, x.prompts, n, N, x.seed + 31);
  const gold = (s: PolicySamples) => s.completions.map(x.gold);
  const rmScores = (s: PolicySamples) =>
    x.rm.score(s.prompts.map((p, i) => ({ prompt: p, completion: s.completions[i]! })));
  const [rmBefore, rmAfter] = [await rmScores(before), await rmScores(after)];

  // KL(π_tuned ‖ π_ref) estimated on the tuned policy's own samples: mean over sequences of Σ_t (log π − log π_ref).
  let klSum = 0;
  const eos = x.tuned.config.eosTokenId;
  const P = Math.ceil(Math.max(...after.promptTokens.map((p) => p.length)) / 8) * 8;
  for (let i = 0; i < after.tokens.length; i += 32) {
    const layout = layoutRollout(
      after.promptTokens.slice(i, i + 32),
      after.tokens.slice(i, i + 32),
      eos,
      P,
      N,
    );
    const stats = await rolloutStats(x.tuned, x.base, layout, 1, false);
    for (let j = 0; j < stats.logp.length; j++)
      klSum += (stats.logp[j]! - stats.refLogp[j]!) * layout.respMask[j]!;
  }
  const show = (s: PolicySamples, g: number[]) =>
    s.completions.slice(0, 6).map((c, i) => ({ prompt: s.prompts[i]!, completion: c, gold: g[i]! }));
  const [gb, ga] = [gold(before), gold(after)];
  return {
    gold_score_before: mean(gb),
    gold_score_after: mean(ga),
    rm_score_before: mean(rmBefore),
    rm_score_after: mean(rmAfter),
    kl_to_reference: klSum / after.tokens.length,
    eval_prompts: x.prompts.length,
    samples_before: show(before, gb),
    samples_after: show(after, ga),
  };
}
