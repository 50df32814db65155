#!/usr/bin/env bash
# Idle engine memory (issue 5 target: under 30 MB): `patter serve` with the null output and
# the stdlib loaded, then playing examples/first-beat.pat; prints VmRSS and VmHWM (peak)
# from /proc. Run from the repository root: bash repl/scripts/idle_memory.sh [BINARY]
set -eu
B=${1:-target/release/patter}
D=$(mktemp -d)
$B serve --socket "$D/s.sock" --out null --state "$D/state.json" >/dev/null 2>&1 &
PID=$!
while [ ! -S "$D/s.sock" ]; do sleep 0.05; done
rss() { awk '/^VmRSS|^VmHWM/ {printf "%s %s kB  ", $1, $2}' /proc/$PID/status; echo; }
echo -n "started:          "; rss
printf 'import "std/chords"\nimport "std/rhythms"\n' | $B send --connect "unix:$D/s.sock" >/dev/null
sleep 5
echo -n "stdlib, idle 5 s: "; rss
$B send --connect "unix:$D/s.sock" examples/first-beat.pat >/dev/null
sleep 10
echo -n "first-beat, 10 s: "; rss
kill -INT $PID; wait $PID 2>/dev/null || true
rm -rf "$D"
