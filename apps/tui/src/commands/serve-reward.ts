/**
 * `rlhf serve-reward (--reward-model DIR | --reward-fn FILE.mjs[:export]) --port N`: a reward server speaking
 * OpenRLHF's remote reward protocol (`--remote_rm_url http://HOST:PORT/get_reward`), until SIGINT or SIGTERM.
 * The server's flags are @rlhfkit/serve's config schema. serveReward owns the process's signals while it runs
 * (this command installs no interrupt handler of its own): the first signal finishes the requests in flight and
 * exits 0, a second drops them. User mistakes (no scorer or two, a bad directory or module, a port in use, an
 * unavailable device) exit 2 with the server's message.
 */
import { serveConfigSchema } from '@rlhfkit/serve/config';
import { z } from 'zod';
import { commandHelp } from '../help.js';
import { exitCodes, type Io, UsageError } from '../io.js';
import { type CommandSpec, pick, runtimeOptions } from '../jobs/specs.js';
import { fieldsOf, parseCommandArgs, validateOptions } from '../options.js';

const input = (description: string) =>
  z.string().min(1).optional().meta({ group: 'reward', description, path: true });

const schema = z.strictObject({
  rewardModel: input('reward model directory (from rlhf train-rm); scores each query as one text'),
  rewardFn: input(
    'FILE.mjs[:export]: (prompt, completion, row) => number, row = { label } from the request; the query is split at its prompt',
  ),
  ...serveConfigSchema.shape,
  ...runtimeOptions.shape,
});

export const serveRewardCommandSpec: CommandSpec = {
  name: 'serve-reward',
  summary: "serve a reward model or reward function over HTTP (OpenRLHF's --remote_rm_url protocol)",
  schema,
  check: (o) =>
    (o['rewardModel'] === undefined) === (o['rewardFn'] === undefined)
      ? [
          {
            path: ['rewardModel'],
            message: 'give exactly one of --reward-model DIR and --reward-fn FILE.mjs',
          },
        ]
      : [],
};

export async function serveRewardCommand(argv: string[], io: Io): Promise<number> {
  const fields = fieldsOf(schema);
  const args = parseCommandArgs(argv, fields);
  if (args.common.help) {
    io.stdout.write(commandHelp(serveRewardCommandSpec));
    return exitCodes.ok;
  }
  // Paths stay as given: the server resolves them against io.cwd and names them as the user wrote them.
  const o = validateOptions('serve-reward', schema, args, serveRewardCommandSpec.check);
  const { ServeError, serveReward } = await import('@rlhfkit/serve');
  try {
    await serveReward({
      ...pick(serveConfigSchema, o),
      rewardModel: o.rewardModel,
      rewardFn: o.rewardFn,
      cwd: io.cwd,
      runtime: {
        device: o.device,
        allowCpuFallback: o.allowCpuFallback,
        ...(o.threads === undefined ? {} : { threads: o.threads }),
      },
      log: (line) => io.stderr.write(`${line}\n`),
    });
  } catch (err) {
    if (err instanceof ServeError) throw new UsageError(err.message);
    throw err;
  }
  return exitCodes.ok;
}
