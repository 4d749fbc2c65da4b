#!/usr/bin/env bash
# prop-ci.sh — run idcheck properties in a research group's CI and fail the job
# when any trial fails, with JUnit XML (and TAP) reports for the CI's test view.
#
# Usage:
#   ci/prop-ci.sh [-p PROPS] [-t TRIALS] [-s SEED] [-j JOBS] [-o OUTDIR] [-b IDCHECK]
#                 [-r REGDIR] [-k SHRINK_STEPS] [-- EXTRA PROP ARGS...]
# Every option has an environment variable (the option wins):
#   -p IDC_PROPS         properties, comma- or space-separated; each may carry its own
#                        parameters as ID:KEY=VALUE,KEY=VALUE (e.g. "K3.9a:steps=4000,m=3").
#                        Default: every property of `idcheck prop --list`.
#   -t IDC_TRIALS        trials per property (default 20)
#   -s IDC_SEED          run seed (default 1). "date" uses the UTC date (YYYYMMDD), so a
#                        nightly job explores new trials while PR jobs stay reproducible.
#   -j IDC_JOBS          worker threads per property (default: nproc)
#   -o IDC_OUT           output directory (default prop-results): ID.xml (JUnit), ID.tap,
#                        ID.json (full results), ID.log (console), shrink/ (failing and
#                        minimal instances), summary.txt
#   -b IDCHECK           the idcheck binary. Default: `idcheck` on PATH; else, when this
#                        script sits in an idcheck checkout, `make` builds build/idcheck.
#   -r IDC_REGRESSIONS   regression-seed directory (default .idcheck/regressions; "none"
#                        disables). Failing trials are appended there and replayed first
#                        next time: commit the directory, or cache it between CI runs.
#   -k IDC_SHRINK_STEPS  shrink steps per failing trial (default 24; 0 disables shrinking)
#   IDC_EXTRA_ARGS       extra arguments for every `idcheck prop` run (after --, too)
# Exit status: 0 when every property ran and no trial or regression failed; 1 when some
# failed; 2 on bad usage or when idcheck could not be built or run; 3 on an internal
# error of idcheck. Every failure prints its IDC-FAIL line and replay command.
#
# Example (GitHub Actions / GitLab CI step):
#   IDC_PROPS="K3.9a:steps=4000" IDC_TRIALS=10 ci/prop-ci.sh -o reports/props
#   # then publish reports/props/*.xml as JUnit test results.
set -uo pipefail

props=${IDC_PROPS:-}
trials=${IDC_TRIALS:-20}
seed=${IDC_SEED:-1}
jobs=${IDC_JOBS:-$(nproc 2>/dev/null || echo 1)}
out=${IDC_OUT:-prop-results}
bin=${IDCHECK:-}
regdir=${IDC_REGRESSIONS:-}
shrink=${IDC_SHRINK_STEPS:-24}
extra=()
[ -n "${IDC_EXTRA_ARGS:-}" ] && read -r -a extra <<<"$IDC_EXTRA_ARGS"

usage() { sed -n '2,/^set -uo/{/^set -uo/d;s/^# \{0,1\}//;p}' "$0"; }
while [ $# -gt 0 ]; do
  case "$1" in
    -p) props=$2; shift 2 ;;
    -t) trials=$2; shift 2 ;;
    -s) seed=$2; shift 2 ;;
    -j) jobs=$2; shift 2 ;;
    -o) out=$2; shift 2 ;;
    -b) bin=$2; shift 2 ;;
    -r) regdir=$2; shift 2 ;;
    -k) shrink=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra+=("$@"); break ;;
    *) echo "prop-ci: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$trials$shrink$jobs" in *[!0-9]*|'') echo "prop-ci: -t, -k and -j take non-negative integers" >&2; exit 2 ;; esac
[ "$seed" = date ] && seed=$(date -u +%Y%m%d)

# The binary: given, on PATH, or built from this checkout.
if [ -z "$bin" ]; then
  if command -v idcheck >/dev/null 2>&1; then
    bin=$(command -v idcheck)
  else
    root=$(cd "$(dirname "$0")/.." && pwd)
    if [ -f "$root/Makefile" ] && [ -d "$root/properties" ]; then
      echo "prop-ci: building idcheck in $root"
      make -C "$root" -j"$jobs" >&2 || { echo "prop-ci: build failed" >&2; exit 2; }
      bin=$root/build/idcheck
    fi
  fi
fi
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
  echo "prop-ci: no idcheck binary (set IDCHECK or -b, or run from an idcheck checkout)" >&2
  exit 2
fi
"$bin" version >/dev/null || { echo "prop-ci: $bin does not run" >&2; exit 2; }

if [ -z "$props" ]; then
  props=$("$bin" prop --list | sed -n 's/^\([^ ][^:]*\): .*/\1/p' | tr '\n' ' ')
fi
props=${props//,/ }
# "ID:k=v,k=v" was split on commas above; re-join parameters with their ID.
list=()
for w in $props; do
  if [[ "$w" == *=* && "$w" != *:* && ${#list[@]} -gt 0 ]]; then
    list[-1]="${list[-1]},$w"
  else
    list+=("$w")
  fi
done
[ ${#list[@]} -gt 0 ] || { echo "prop-ci: no properties to run" >&2; exit 2; }

mkdir -p "$out/shrink" || exit 2
regargs=()
case "$regdir" in
  none) regargs=(--no-regressions) ;;
  '') ;;
  *) regargs=(--regressions "$regdir") ;;
esac
shrinkargs=(--shrink --shrink-steps "$shrink" --shrink-dir "$out/shrink")
[ "$shrink" -eq 0 ] && shrinkargs=(--no-shrink)

echo "prop-ci: idcheck=$bin seed=$seed trials=$trials jobs=$jobs out=$out"
worst=0
: >"$out/summary.txt"
for entry in "${list[@]}"; do
  id=${entry%%:*}
  params=()
  if [[ "$entry" == *:* ]]; then
    IFS=',' read -r -a kvs <<<"${entry#*:}"
    for kv in "${kvs[@]}"; do [ -n "$kv" ] && params+=(--param "$kv"); done
  fi
  safe=${id//[^A-Za-z0-9._-]/_}
  echo "== $id"
  "$bin" prop "$id" --trials "$trials" --seed "$seed" --jobs "$jobs" "${params[@]}" \
    "${regargs[@]}" "${shrinkargs[@]}" -o "$out/$safe.json" --junit "$out/$safe.xml" \
    --tap "$out/$safe.tap" "${extra[@]}" 2>&1 | tee "$out/$safe.log"
  rc=${PIPESTATUS[0]}
  line=$(grep -E "^$(printf '%s' "$id" | sed 's/[.[\*^$]/\\&/g'): [0-9]+ passed" "$out/$safe.log" | tail -n 1)
  case $rc in
    0) status=ok ;;
    1) status=FAILED ;;
    2) status="bad usage or input" ;;
    *) status="internal error ($rc)" ;;
  esac
  echo "$id: $status${line:+ — ${line#*: }}" | tee -a "$out/summary.txt"
  [ "$rc" -gt "$worst" ] && worst=$rc
done
echo "prop-ci: JUnit reports in $out/*.xml; summary in $out/summary.txt"
[ "$worst" -gt 3 ] && worst=3
exit "$worst"
