/**
 * Chat templates: a model's Jinja `chat_template` rendered with @huggingface/jinja exactly as transformers.js's
 * apply_chat_template renders it (same variables: messages, add_generation_prompt, tools and documents null,
 * the special token strings of tokenizer_config.json, extra variables; raise_exception and strftime_now are
 * the renderer's globals), the plain template for models that ship none, and the assistant-token mask for SFT.
 */
import { Template } from '@huggingface/jinja';
import { isObject, type Json, TokenizerError } from './tokenizer-config.js';

/** One turn of a conversation; extra fields (reasoning_content, tool_calls...) reach the template as they are. */
export interface ChatMessage {
  role: string;
  content: string;
  [key: string]: unknown;
}

export interface ChatTemplateOptions {
  /** End with the header of an assistant turn, so the model writes the reply (HF add_generation_prompt). */
  addGenerationPrompt?: boolean;
  /** More template variables, as HF's **kwargs: e.g. { enable_thinking: false } for Qwen3. */
  variables?: Record<string, unknown>;
}

/**
 * The plain template of models that ship none (the tokenizers we train; GPT-2). Written into the
 * tokenizer_config.json we save, so transformers, TRL and OpenRLHF build the same prompts. A conversation
 *   [system "Be brief.", user "Hi", assistant "Hello!", user "Why?"] + generation prompt
 * renders as
 *   "System: Be brief.\nUser: Hi\nAssistant: Hello!<|endoftext|>User: Why?\nAssistant:"
 * System and user turns end with a newline; an assistant turn is "Assistant: " + content + eos_token, so the
 * model learns to stop with eos. The generation prompt is "Assistant:" without the space, which starts the
 * reply (" Hello!" is one byte-level pre-token, so prompt and reply split on a token boundary).
 */
export const plainChatTemplate = [
  '{%- for message in messages -%}',
  "{%- if message['role'] == 'system' -%}{{- 'System: ' + message['content'] + '\\n' -}}",
  "{%- elif message['role'] == 'user' -%}{{- 'User: ' + message['content'] + '\\n' -}}",
  "{%- elif message['role'] == 'assistant' -%}{{- 'Assistant: ' + message['content'] + eos_token -}}",
  "{%- else -%}{{- raise_exception('the plain chat template has no role ' + message['role']) -}}",
  '{%- endif -%}',
  '{%- endfor -%}',
  "{%- if add_generation_prompt -%}{{- 'Assistant:' -}}{%- endif -%}",
].join('\n');

/** tokenizer_config.json's chat_template: a string, or a list of { name, template } of which "default" is used. */
export function configChatTemplate(config: Json, file: string): string | undefined {
  const v = config['chat_template'];
  if (v == null) return undefined;
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) {
    const named = v.find((t) => isObject(t) && t['name'] === 'default');
    if (isObject(named) && typeof named['template'] === 'string') return named['template'];
    throw new TokenizerError(
      `${file}: chat_template: a list of templates needs one {"name": "default", "template": "..."}`,
    );
  }
  throw new TokenizerError(`${file}: chat_template: expected a string or a list of {name, template}`);
}

/** A compiled chat template; `where` ("file: key") heads every error. */
export class ChatTemplate {
  private readonly compiled: Template;

  constructor(
    readonly source: string,
    private readonly where: string,
    /** bos_token, eos_token, pad_token... as the template sees them. */
    private readonly specialTokens: Readonly<Record<string, string>>,
  ) {
    try {
      this.compiled = new Template(source);
    } catch (err) {
      throw new TokenizerError(`${where}: cannot parse the template: ${(err as Error).message}`);
    }
  }

  render(messages: readonly ChatMessage[], options: ChatTemplateOptions = {}): string {
    try {
      const text = this.compiled.render({
        messages,
        add_generation_prompt: options.addGenerationPrompt ?? false,
        tools: null,
        documents: null,
        ...this.specialTokens,
        ...options.variables,
      });
      return text;
    } catch (err) {
      throw new TokenizerError(`${this.where}: cannot render the conversation: ${(err as Error).message}`);
    }
  }
}

/** Token ids of a rendered conversation, with 1 on the tokens the assistant's turns produce. */
export interface MaskedChat {
  ids: number[];
  /** assistantMask[t] is 1 when ids[t] belongs to an assistant turn (the loss counts predicting it). */
  assistantMask: number[];
}

/**
 * The assistant-token mask for SFT on conversations (loss on assistant tokens only). The tokens of assistant
 * message i are the ones the model would generate for it. They start after the generation prompt: where the
 * rendering of messages[0..i) with add_generation_prompt ends, or stops matching the whole conversation (Qwen3
 * with enable_thinking false prompts with an empty think block that earlier turns do not keep). Prefixes are
 * rendered incrementally, as OpenRLHF's multi-turn SFT does, so messages[0..i) without the prompt must render
 * as the start of the whole conversation. They end with the first stop token (eosTokenIds) after that,
 * included: the span TRL's {% generation %} markers cover in its training templates, without the newline some
 * templates put after the stop token. `ids` are the whole rendering encoded once (equal to encodeChat); a token
 * that straddles the prompt/reply boundary counts as the reply's.
 */
export function assistantTokenMask(
  messages: readonly ChatMessage[],
  render: (messages: readonly ChatMessage[], addGenerationPrompt: boolean) => string,
  encode: (text: string) => number[],
  stopIds: readonly number[],
  where: string,
): MaskedChat {
  const text = render(messages, false);
  const ids = encode(text);
  const assistantMask = new Array<number>(ids.length).fill(0);
  const turns: { index: number; start: number }[] = [];
  messages.forEach((m, index) => {
    if (m.role !== 'assistant') return;
    const history = render(messages.slice(0, index), false);
    if (!text.startsWith(history)) {
      throw new TokenizerError(
        `${where}: the template renders messages[0..${index}) differently from the start of the whole ` +
          `conversation, so the tokens of messages[${index}] cannot be located (the template is not prefix-preserving)`,
      );
    }
    const prompt = render(messages.slice(0, index), true);
    const start = Math.max(history.length, commonLength(prompt, text));
    turns.push({ index, start: commonLength(encode(text.slice(0, start)), ids) });
  });
  const stops = new Set(stopIds);
  turns.forEach(({ index, start }, k) => {
    const limit = turns[k + 1]?.start ?? ids.length;
    let end = start;
    while (end < limit && !stops.has(ids[end]!)) end++;
    if (end === limit) {
      throw new TokenizerError(
        `${where}: messages[${index}] (assistant) renders without a stop token (ids ${stopIds.join(', ')}); ` +
          'set eos_token in tokenizer_config.json or eos_token_id in generation_config.json to the token ' +
          'that ends assistant turns',
      );
    }
    assistantMask.fill(1, start, end + 1);
  });
  return { ids, assistantMask };
}

/** The length of the common prefix of two strings or token lists. */
function commonLength<T extends string | readonly number[]>(a: T, b: T): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}
