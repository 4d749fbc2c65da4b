#!/usr/bin/env bash
# The verifier's separation from the checkers and builders (issue 14 item 1),
# run by `make check`:
#   ci/verify-separation.sh LIBIDCHECK-VERIFY.a CHECKER_AND_BUILDER_OBJECTS...
# 1. the verifier library neither defines nor needs any global symbol that a
#    checker (theory/check/) or builder (theory/cert/) object defines (the
#    standalone idcheck-verify is linked from that library alone, so a
#    missing definition already fails its link);
# 2. no verifier source includes a checker or builder header;
# 3. the test can fail: the library with one checker object added is refused.
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 LIBIDCHECK-VERIFY.a CHECKER_AND_BUILDER_OBJECTS..." >&2; exit 2; }
lib=$1; shift
syms() { nm -g --defined-only "$@" 2>/dev/null | awk 'NF == 3 { print $3 }' | sort -u; }
forbidden=$(syms "$@")
[ -n "$forbidden" ] || { echo "verify-separation: no symbols in the checker/builder objects" >&2; exit 1; }

check_lib() { # prints the offending symbols of archive $1; status 1 when any
  local a=$1 bad
  bad=$(comm -12 <(echo "$forbidden") <( (syms "$a"; nm -u "$a" 2>/dev/null | awk '{ print $NF }') | sort -u))
  [ -z "$bad" ] || { echo "$bad" | head -5; return 1; }
}

if ! out=$(check_lib "$lib"); then
  echo "verify-separation: FAILED: $lib defines or needs checker/builder symbols:" $out >&2
  exit 1
fi

srcs=$(ls theory/verify/*.c theory/verify/*.h theory/verify.h cli/verify.c cli/verify.h cli/verify/*.c)
if inc=$(grep -nE '#include "(theory/(check|cert)/|theory/(cert|precond)\.h|properties/|generators/|cli/cli\.h)' $srcs); then
  echo "verify-separation: FAILED: a verifier source includes a checker, builder or upper-layer header:" >&2
  echo "$inc" >&2
  exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp "$lib" "$tmp/with-checker.a"
ar q "$tmp/with-checker.a" "$1"
if check_lib "$tmp/with-checker.a" > /dev/null; then
  echo "verify-separation: FAILED: the self-test did not notice $1 added to the library" >&2
  exit 1
fi
echo "verify-separation: ok ($(ar t "$lib" | wc -l) objects, none from the $# checker/builder objects; no checker include)"
