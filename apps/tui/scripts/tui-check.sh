#!/usr/bin/env bash
# Checks the rlhf TUI in a real terminal. Under tmux it starts a short job, reads the screen (stage and a
# chart must show), presses ? (help), p twice (pause, resume) and q (stop), and checks the command exits 0.
#
# Needs tmux (Debian/Ubuntu: apt-get install -y tmux) and a build:
#   npx turbo run build --filter=@rlhfkit/tui...
# Usage, from anywhere:
#   apps/tui/scripts/tui-check.sh                        # the scripted job: rlhf _fake-job --duration 5
#   RLHF_CHECK_JOB="demo --preset ci" RLHF_CHECK_WAIT=300 apps/tui/scripts/tui-check.sh
# The job gets --out <tmp dir>/run. Screens are kept in the tmp dir the script prints.
set -euo pipefail

root=$(cd "$(dirname "$0")/../../.." && pwd)
cli="$root/apps/tui/dist/cli.js"
job=${RLHF_CHECK_JOB:-_fake-job --duration 5}
wait_s=${RLHF_CHECK_WAIT:-60}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rlhf-tui-check.XXXXXX")
session="rlhf-tui-check-$$"
[ -f "$cli" ] || { echo "tui-check: $cli is missing; build first" >&2; exit 2; }

cleanup() { tmux kill-session -t "$session" 2>/dev/null || true; }
trap cleanup EXIT

screen() { tmux capture-pane -p -t "$session" > "$tmp/$1.txt"; cat "$tmp/$1.txt"; }
fail() {
  echo "tui-check: FAIL: $1 (screens in $tmp)" >&2
  tmux capture-pane -p -t "$session" >&2 2>/dev/null || true
  exit 1
}
# wait_for <seconds> <name> <grep -E pattern>...: poll the screen until every pattern is on it.
wait_for() {
  local deadline=$((SECONDS + $1)) name=$2
  shift 2
  while ((SECONDS < deadline)); do
    local text ok=1
    text=$(tmux capture-pane -p -t "$session" 2>/dev/null || true)
    for pattern in "$@"; do grep -qE -- "$pattern" <<<"$text" || ok=0; done
    if ((ok)); then screen "$name" >/dev/null; return 0; fi
    sleep 0.2
  done
  return 1
}

# CI=true would turn the TUI off, so it is unset for the job; the pane stays open after exit for reading.
# shellcheck disable=SC2086
tmux new-session -d -s "$session" -x 120 -y 50 \
  "env -u CI node '$cli' $job --out '$tmp/run'; echo \"exit=\$?\" > '$tmp/exit'; sleep 600"

wait_for "$wait_s" live 'stage [0-9]+/[0-9]+' '[┤┼]' || fail 'no stage line and chart on the screen'
echo "--- live screen ---"
cat "$tmp/live.txt"

tmux send-keys -t "$session" '?'
wait_for 10 help 'stop cleanly' || fail '? did not show the help overlay'
tmux send-keys -t "$session" '?'

tmux send-keys -t "$session" p
wait_for 10 paused 'paused' || fail 'p did not pause the job'
tmux send-keys -t "$session" p
wait_for 10 resumed 'running' || fail 'p did not resume the job'

tmux send-keys -t "$session" q
for _ in $(seq 1 100); do [ -f "$tmp/exit" ] && break; sleep 0.2; done
[ -f "$tmp/exit" ] || fail 'q did not end the command within 20 s'
echo "--- final screen ---"
screen final
code=$(cat "$tmp/exit")
[ "$code" = "exit=0" ] || fail "expected exit=0 after q, got $code"
grep -qE 'stopped|done' "$tmp/final.txt" || fail 'the final screen does not say stopped or done'
echo "tui-check: OK ($job: stage and chart shown, ?, p and q worked, $code)"
