#!/usr/bin/env bash
# Tick-to-all-ready latency of render nodes on loopback (docs/nodes.md, BENCHMARKS.md).
# Starts one primary and N node processes of the built `parallax` binary on tests/data/stage/nodes.ron
# (nodes beyond b and c each get a one-cabinet section on an output of their own), runs FRAMES unpaced frames of the demo take to the null sink, and prints the primary's
# summary: tick to all ready p50/p99 (tick published -> every node's "ready" received, which
# includes each node's render of the frame) and bytes per tick.
#
#   benches/nodes.sh [N=2] [FRAMES=300] [BIN=target/release/parallax]
set -euo pipefail
N=${1:-2}
FRAMES=${2:-300}
BIN=${3:-target/release/parallax}
PORT=$((47400 + N))
EP=tcp/127.0.0.1:$PORT
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
# A copy of the stage whose outputs name N nodes: b and c as in the file, then n3.. on extra
# 16 x 16 outputs, each fed by one cabinet.
STAGE=$TMP/nodes.ron
python3 - "$N" > "$STAGE" <<'PY'
import sys
n = int(sys.argv[1])
s = open("tests/data/stage/nodes.ron").read()
extra = "".join(f'        Output(name: "x{k}", width: 16, height: 16, node: "n{k}"),\n' for k in range(3, n + 1))
sections = "".join(
    f'        (name: "X{k}", panel_type: "T16", shape: Flat(columns: 1, rows: 1, position: ({0.4 * k - 3.0:.1f}, 3.0, -1.5), anchor: Centre, rotation: PanTiltRoll(0.0, 90.0, 0.0)), placement: Auto(outputs: ["x{k}"])),\n'
    for k in range(3, n + 1))
s = s.replace("    ],\n    outputs: [", sections + "    ],\n    outputs: [", 1)
names = ["b", "c"] + [f"n{k}" for k in range(3, n + 1)]
s = s.replace('        Output(name: "top", width: 32, height: 32, node: "c"),\n',
              '        Output(name: "top", width: 32, height: 32, node: "c"),\n' + extra)
print(s)
PY
NAMES="b c"
for k in $(seq 3 "$N"); do NAMES="$NAMES n$k"; done
NAMES=$(echo $NAMES | cut -d' ' -f1-"$N")
export NODEVICE_SELECT=1
"$BIN" run "$STAGE" --primary --node a --listen "$EP" --no-scouting --take assets/takes/demo-truck.take \
  --frames "$FRAMES" --unpaced --no-watch --sink null --barrier-timeout 1000 --join-timeout 60 \
  > "$TMP/primary.out" 2> "$TMP/primary.err" &
PRIMARY=$!
for n in $NAMES; do
  "$BIN" run "$STAGE" --node "$n" --connect "$EP" --no-scouting --no-watch --sink null \
    > "$TMP/$n.out" 2> "$TMP/$n.err" &
done
wait $PRIMARY
wait
echo "$N nodes, $FRAMES frames, $(nproc) cores, $("$BIN" run "$STAGE" --frames 0 --sink null --no-watch 2>&1 | grep adapter || true)"
grep '^cluster:' "$TMP/primary.out"
