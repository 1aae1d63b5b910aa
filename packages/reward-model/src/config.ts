/**
 * The reward-model training config as a zod schema, a description and a help group per field: the
 * `rlhf train-rm` flags and --help are derived from it. Imported alone as `@rlhfkit/reward-model/config`
 * (zod only).
 */
import { z } from 'zod';

const doc = (group: string, description: string) => ({ group, description });

export const rewardTrainConfigSchema = z.object({
  epochs: z.number().int().positive().default(2).meta(doc('optimization', 'passes over the training pairs')),
  batchSize: z
    .number()
    .int()
    .positive()
    .default(16)
    .meta(doc('optimization', 'pairs per optimizer step (2 × batchSize sequences per forward)')),
  maxLength: z
    .number()
    .int()
    .positive()
    .optional()
    .meta(
      doc(
        'optimization',
        "tokens per text; longer texts keep their last tokens (default: the model's context)",
      ),
    ),
  lr: z
    .number()
    .positive()
    .default(1e-3)
    .meta(doc('optimization', 'peak learning rate (AdamW, warmup + cosine)')),
  warmupSteps: z.number().int().nonnegative().default(10).meta(doc('optimization', 'linear warmup steps')),
  weightDecay: z.number().nonnegative().default(0.01).meta(doc('optimization', 'decoupled weight decay')),
  maxGradNorm: z.number().positive().default(1).meta(doc('optimization', 'global gradient-norm clip')),
  centering: z
    .number()
    .nonnegative()
    .default(0.01)
    .meta(doc('loss', 'centering coefficient λ on (r_chosen + r_rejected)² (0: off)')),
  evalFraction: z
    .number()
    .min(0)
    .max(0.9)
    .default(0.1)
    .meta(doc('evaluation', 'share of the pairs held out for eval_accuracy')),
  seed: z.number().int().min(0).default(0).meta(doc('run', 'random seed; the same seed gives the same run')),
});

export type RewardTrainConfigInput = z.input<typeof rewardTrainConfigSchema>;

/** A resolved config: every value set. */
export interface RewardTrainConfig {
  /** Passes over the training pairs. */
  epochs: number;
  /** Pairs per step (2 × batchSize rows per forward). */
  batchSize: number;
  /** Tokens per text; longer texts keep their last tokens (where the score is read). */
  maxLength: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  maxGradNorm: number;
  /** Centering coefficient λ on (r_c + r_r)² (rlhf-conventions.md); 0: off. */
  centering: number;
  /** Share of the pairs held out for evaluation (splitPreferences). */
  evalFraction: number;
  seed: number;
}

/** Fill the derived values; `nPositions` is the base model's context. */
export function resolveRewardTrainConfig(
  o: z.output<typeof rewardTrainConfigSchema>,
  nPositions: number,
): RewardTrainConfig {
  return { ...o, maxLength: o.maxLength ?? nPositions };
}

export const rewardTrainDefaults: RewardTrainConfig = {
  ...rewardTrainConfigSchema.parse({}),
  maxLength: 64,
};
