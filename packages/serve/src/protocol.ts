/**
 * OpenRLHF's remote reward protocol, as its client and server speak it (openrlhf/utils/agent.py posts, and
 * openrlhf/cli/serve_rm.py answers, `POST /get_reward`):
 *
 *   request   {"query": [str], "prompts": [str], "labels": [any]}   one entry per sample, in order
 *   response  {"rewards": [float], "scores": [float], "extra_logs": {name: [float]}}   (we send no extra_logs)
 *
 * `query[i]` is the whole decoded sequence, prompt + response (special tokens kept, so it may end in EOS);
 * `prompts[i]` is the prompt text it starts with; `labels[i]` is the dataset's label column (any JSON).
 * OpenRLHF's client always sends all three; its server reads only `query`, so `prompts` and `labels` are
 * optional here unless the scorer needs prompts (a reward function does). Unknown fields are ignored.
 * `scores` feeds OpenRLHF's dynamic filtering; like serve_rm.py we send the rewards there too.
 */
import { z } from 'zod';

/** One sample to score. */
export interface RewardItem {
  /** Prompt and response as one text (OpenRLHF's `query`). */
  query: string;
  /** The prompt `query` starts with, when the request sent `prompts`. */
  prompt: string | undefined;
  /** The dataset's label for this sample (undefined when the request sent no `labels`). */
  label: unknown;
}

/** A request that breaks the protocol: answered with a 4xx naming the field. */
export class ProtocolError extends Error {
  override name = 'ProtocolError';
  constructor(
    readonly status: number,
    /** The offending field as a path (`query[3]`), or undefined when the whole body is at fault. */
    readonly field: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const requestSchema = z
  .object({
    query: z.array(z.string()),
    prompts: z.array(z.string()).optional(),
    labels: z.array(z.unknown()).optional(),
  })
  .superRefine((r, ctx) => {
    for (const key of ['prompts', 'labels'] as const) {
      const n = r[key]?.length;
      if (n !== undefined && n !== r.query.length)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `has ${n} entries but query has ${r.query.length}; send one per query, in the same order`,
        });
    }
  });

/** `query[3]` from zod's path ['query', 3]; 'body' for the root. */
const fieldName = (path: readonly PropertyKey[]) =>
  path.length === 0
    ? 'body'
    : path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');

/** Parse a request body (raw bytes as text) into items; throws ProtocolError (400) naming the field. */
export function parseRewardRequest(body: string, opts: { needsPrompts: boolean }): RewardItem[] {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (err) {
    throw new ProtocolError(400, undefined, `the body is not valid JSON (${(err as Error).message})`);
  }
  const res = requestSchema.safeParse(json);
  if (!res.success) {
    const issue = res.error.issues[0]!;
    const field = fieldName(issue.path);
    const more = res.error.issues.length > 1 ? ` (and ${res.error.issues.length - 1} more problems)` : '';
    throw new ProtocolError(400, field, `${field}: ${issue.message}${more}. Expected ${expected}`);
  }
  const { query, prompts, labels } = res.data;
  if (opts.needsPrompts && prompts === undefined && query.length > 0)
    throw new ProtocolError(
      400,
      'prompts',
      'prompts: missing; this server scores with a reward function, which needs each query split into prompt ' +
        'and completion, so send prompts (one per query, the prompt text each query starts with)',
    );
  return query.map((q, i) => ({ query: q, prompt: prompts?.[i], label: labels?.[i] }));
}

const expected = '{"query": [string], "prompts": [string], "labels": [any]} with one entry per query';

/**
 * The response body for a request's rewards, in its order, as JSON text. Every number is written as a float
 * (`1.0`, not `1`): Python's json reads `1` as an int, and OpenRLHF turns the rewards into a torch tensor whose
 * dtype follows, so a reward function returning whole numbers would otherwise reach training as int64.
 */
export function rewardResponseJson(rewards: readonly number[]): string {
  const list = `[${rewards.map((x) => (Number.isInteger(x) && Math.abs(x) < 1e21 ? x.toFixed(1) : String(x))).join(',')}]`;
  return `{"rewards":${list},"scores":${list},"extra_logs":{}}`;
}

/**
 * Split a query into the prompt and completion a reward function takes: `query = prompt + completion`.
 * When the decoded query does not start with the prompt (a tokenizer round trip can change whitespace, or
 * OpenRLHF cut a long prompt from the left), the completion is what follows the prompt's first occurrence;
 * when the prompt is not in the query at all, the completion is the whole query.
 */
export function splitQuery(query: string, prompt: string): { prompt: string; completion: string } {
  if (query.startsWith(prompt)) return { prompt, completion: query.slice(prompt.length) };
  const at = prompt === '' ? -1 : query.indexOf(prompt);
  return { prompt, completion: at >= 0 ? query.slice(at + prompt.length) : query };
}
