/**
 * The preference-optimisation config: one flat record, a doc line per field (cleanrl style), checked up front
 * with zod so that a setting that cannot apply fails before any work, with a message saying what to change.
 * Defaults are TRL's DPOConfig / KTOConfig / CPOConfig (SimPO) where they exist.
 */
import { z } from 'zod';

export const dpoLossTypeNames = ['sigmoid', 'robust', 'hinge', 'ipo', 'simpo', 'kto'] as const;
export type DPOLossType = (typeof dpoLossTypeNames)[number];

export const dpoConfigSchema = z.object({
  /** The loss: sigmoid (DPO), robust (rDPO), hinge (SLiC), ipo, simpo (reference-free) or kto (unpaired rows). */
  lossType: z.enum(dpoLossTypeNames).default('sigmoid'),
  /** beta: how far the policy may move from the reference (IPO's tau; SimPO's reward scale). TRL: 0.1. */
  beta: z.number().positive().default(0.1),
  /** Label-flip probability for sigmoid (cDPO), robust and simpo; in [0, 0.5). */
  labelSmoothing: z.number().min(0).lt(0.5).default(0),
  /** SimPO's target reward margin gamma (TRL's simpo_gamma). */
  gamma: z.number().min(0).default(0.5),
  /** Divide each sequence's log-prob by its completion length (default: on for simpo, off otherwise). */
  averageLogProb: z.boolean().optional(),
  /** KTO's weight on desirable rows (TRL's desirable_weight). */
  desirableWeight: z.number().positive().default(1),
  /** KTO's weight on undesirable rows (TRL's undesirable_weight). */
  undesirableWeight: z.number().positive().default(1),
  /** Adam learning rate (TRL's DPO default 1e-6, for pretrained models). */
  lr: z.number().positive().default(1e-6),
  /** 'constant', or a cosine decay to lr / 10 over all steps. */
  lrSchedule: z.enum(['constant', 'cosine']).default('constant'),
  /** Linear warmup steps. */
  warmupSteps: z.number().int().nonnegative().default(0),
  /** Decoupled weight decay on matrices. */
  weightDecay: z.number().nonnegative().default(0),
  /** Global gradient-norm clip. */
  maxGradNorm: z.number().positive().default(1),
  /** Passes over the training rows. */
  epochs: z.number().int().positive().default(1),
  /** Pairs (or, for kto, rows) per optimizer step; a step forwards 2 × batchSize sequences. */
  batchSize: z.number().int().positive().default(8),
  /** Tokens per prompt + completion; longer ones keep their first maxLength tokens (default: the context). */
  maxLength: z.number().int().positive().optional(),
  /** Write a checkpoint every this many steps (0: only at the end and on stop). */
  checkpointEvery: z.number().int().nonnegative().default(50),
  seed: z.number().int().default(0),
});

export type DPOConfigInput = z.input<typeof dpoConfigSchema>;
/** A checked config: averageLogProb resolved. */
export type DPOConfig = Omit<z.output<typeof dpoConfigSchema>, 'averageLogProb'> & {
  averageLogProb: boolean;
};

/** Thrown for a config that cannot run; the message says what to change. */
export class DPOConfigError extends Error {
  override name = 'DPOConfigError';
}

/** Parse and cross-check a config. */
export function dpoConfig(input: Partial<DPOConfigInput> = {}): DPOConfig {
  const r = dpoConfigSchema.strict().safeParse(input);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join('.') || '(config)'}: ${i.message}`).join('; ');
    throw new DPOConfigError(`invalid DPO config: ${msg}`);
  }
  const c = r.data;
  const problems: string[] = [];
  if (c.labelSmoothing > 0 && !['sigmoid', 'robust', 'simpo'].includes(c.lossType)) {
    problems.push(`labelSmoothing applies to sigmoid, robust and simpo, not ${c.lossType}: set it to 0`);
  }
  if (c.lossType !== 'simpo' && input.gamma !== undefined) {
    problems.push(`gamma is SimPO's margin: set lossType simpo or drop gamma`);
  }
  if (
    c.lossType !== 'kto' &&
    (input.desirableWeight !== undefined || input.undesirableWeight !== undefined)
  ) {
    problems.push('desirableWeight and undesirableWeight weigh KTO rows: set lossType kto or drop them');
  }
  if (problems.length) throw new DPOConfigError(`invalid DPO config: ${problems.join('; ')}`);
  return { ...c, averageLogProb: c.averageLogProb ?? c.lossType === 'simpo' };
}

export const dpoDefaults: DPOConfig = dpoConfig();
