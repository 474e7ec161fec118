#!/bin/sh
# Soak run (issue 17, docs/reliability.md): `parallax run` headless on the bundled take looped for
# FRAMES frames (default 10000) on the tiny stage, every 1000th frame's outputs and every frame's
# line written, what the process holds printed every EVERY frames (default 1000). Prints the
# samples, then the RSS growth from the first sample after warm-up (the second) to the last, and
# fails if RSS grew 5 % or more, or open files or GPU objects changed after warm-up.
#   scripts/soak.sh [PARALLAX_BINARY] [FRAMES] [EVERY]
set -eu
bin=${1:-target/release/parallax}
frames=${2:-10000}
every=${3:-1000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
start=$(date +%s)
NODEVICE_SELECT=1 "$bin" run assets/stages/tiny.ron --take assets/takes/demo-truck.take --loop \
    --frames "$frames" --unpaced --no-watch --sink files --every 1000 --out "$work/out" \
    --frame-log "$work/frames.jsonl" --resources-every "$every" >"$work/stdout" 2>"$work/stderr"
end=$(date +%s)
grep '^adapter:' "$work/stderr" || true
grep '^resources: ' "$work/stderr" | sed 's/^resources: //'
cat "$work/stdout"
echo "wall time: $((end - start)) s; frame log lines: $(wc -l <"$work/frames.jsonl")"
grep '^resources: ' "$work/stderr" | awk '
    { line[NR] = $0; match($0, /rss [0-9]+/); rss[NR] = substr($0, RSTART + 4, RLENGTH - 4);
      rest = $0; sub(/.*KiB, /, "", rest); other[NR] = rest }
    END {
        if (NR < 3) { print "too few samples"; exit 1 }
        growth = (rss[NR] / rss[2] - 1) * 100
        printf "RSS %d KiB after warm-up, %d KiB at the end: %+.2f %%\n", rss[2], rss[NR], growth
        bad = growth >= 5
        for (i = 3; i <= NR; i++) if (other[i] != other[2]) { print "changed: " line[i]; bad = 1 }
        if (bad) { print "FAIL"; exit 1 }
        print "PASS: fds and GPU objects flat after warm-up"
    }'
