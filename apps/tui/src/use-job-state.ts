/** The one hook that turns a job's events into view state; components below it only render. */
import { useCallback, useEffect, useReducer, useState } from 'react';
import type { EventSource } from './event-bus.js';
import { initialState, type JobState, type Request, reducer } from './reducer.js';

export function useJobState(
  source: EventSource,
  now: () => number = Date.now,
): [JobState, (r: Request) => void] {
  const [state, dispatch] = useReducer(reducer, undefined, () => initialState(now()));
  useEffect(() => source.subscribe((event, at) => dispatch({ type: 'event', event, at })), [source]);
  const request = useCallback((r: Request) => dispatch({ type: 'request', request: r, at: now() }), [now]);
  return [state, request];
}

/** The current time, refreshed every `ms` while `active`, for elapsed time and ETA. */
export function useNow(active: boolean, now: () => number = Date.now, ms = 1000): number {
  const [t, setT] = useState(now);
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setT(now()), ms);
    return () => clearInterval(timer);
  }, [active, now, ms]);
  return t;
}
