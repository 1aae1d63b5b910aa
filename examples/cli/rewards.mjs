// Reward functions for `rlhf ppo --reward-fn examples/cli/rewards.mjs:NAME`: each is
// (prompt, completion, row) => number, where row holds the prompt row's other columns (here "keyword").

const cheerfulWords = new Set([
  'bright',
  'kind',
  'calm',
  'warm',
  'glad',
  'hopeful',
  'fair',
  'gentle',
  'happy',
  'clear',
]);

/** One point per cheerful word in the completion. */
export function cheerful(_prompt, completion) {
  return completion
    .toLowerCase()
    .split(/[^a-z]+/)
    .filter((w) => cheerfulWords.has(w)).length;
}

/** 1 when the completion mentions the row's keyword. */
export function mentionsKeyword(_prompt, completion, row) {
  return completion.toLowerCase().includes(String(row.keyword)) ? 1 : 0;
}
