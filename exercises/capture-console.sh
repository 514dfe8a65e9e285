#!/usr/bin/env bash
# Runs the facilitator console in tmux on a fresh mesh, presses a few keys as a facilitator would and keeps
# the screen, for the README: bash exercises/capture-console.sh > exercises/captures/console.txt (needs tmux)
set -euo pipefail
cd "$(dirname "$0")/.."
state=$(mktemp -d) reports=$(mktemp -d) session="meshgate-capture-$$"
trap 'tmux kill-session -t "$session" 2>/dev/null || true; node harness/bin/meshgate.js down --state "$state" >/dev/null 2>&1 || true; rm -rf "$state" "$reports"' EXIT
node harness/bin/meshgate.js up --state "$state" >/dev/null
tmux new-session -d -s "$session" -x 130 -y 32 "env -u CI node harness/bin/meshgate.js exercise run stolen-workload-credential --attach --state '$state' --speed 10 --report-dir '$reports'; sleep 30"
wait_for() { for _ in $(seq 1 150); do tmux capture-pane -p -t "$session" | grep -q "$1" && return 0; sleep 0.2; done; echo "console never showed: $1" >&2; exit 1; }
wait_for 'ACTIVE'
tmux send-keys -t "$session" a
wait_for 'acknowledged leaked-gateway-cert'
tmux send-keys -t "$session" d
tmux send-keys -t "$session" -l 'alice: revoke the leaked certificate'
tmux send-keys -t "$session" Enter
wait_for 'decision leaked-gateway-cert by alice'
tmux send-keys -t "$session" h
wait_for 'hint leaked-gateway-cert'
tmux send-keys -t "$session" r
tmux send-keys -t "$session" -l '1=S'
tmux send-keys -t "$session" Enter
wait_for 'rated S by the facilitator'
sleep 1
tmux capture-pane -p -t "$session" | sed -e "s#$state#.meshgate#g" -e :a -e '/^\n*$/{$d;N;ba' -e '}'
tmux send-keys -t "$session" q
wait_for 'after-action report'
