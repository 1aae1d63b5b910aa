/**
 * Connects a job's EventSink to its listeners. Events sent before anyone listens (a job that reports while it
 * starts) are kept and replayed to the first listener, each with the time it arrived.
 */
import type { EventSink, JobEvent } from '@rlhfkit/io';

export type EventListener = (event: JobEvent, at: number) => void;

export interface EventSource {
  subscribe(listener: EventListener): () => void;
}

export function createEventBus(now: () => number = Date.now): { sink: EventSink; source: EventSource } {
  const listeners = new Set<EventListener>();
  let backlog: [JobEvent, number][] | undefined = [];
  const sink: EventSink = (event) => {
    const at = now();
    if (backlog) backlog.push([event, at]);
    for (const l of listeners) l(event, at);
  };
  const source: EventSource = {
    subscribe(listener) {
      if (backlog) {
        for (const [event, at] of backlog) listener(event, at);
        backlog = undefined;
      }
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return { sink, source };
}
