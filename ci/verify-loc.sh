#!/usr/bin/env bash
# `make verify-loc`: the size of idcheck's trusted base, the verifier
# (issue 14 item 2), and the libraries it trusts.
#   VERIFY_BIN=build/idcheck-verify ci/verify-loc.sh FILES...
# FILES are every source the standalone idcheck-verify is built from (the
# Makefile's VERIFY_SRC, the verifier's headers, its front end). Lines of
# code are counted by cloc (Debian package cloc): lines that are neither
# blank nor only comment; a line with code and a trailing comment counts.
set -euo pipefail
command -v cloc > /dev/null || { echo "verify-loc: cloc not found (make deps installs it)" >&2; exit 2; }
csv=$(cloc --by-file --csv --quiet "$@" | awk -F, 'NR > 1 && $1 != "SUM" { print $2 "," $5 }' | sort)
part() { # title, extended regex on the path
  local rows total
  rows=$(echo "$csv" | grep -E "^($2)[^,]*," || true)
  total=$(echo "$rows" | awk -F, '{ s += $2 } END { print s + 0 }')
  printf '%s: %d lines of code\n' "$1" "$total"
  echo "$rows" | awk -F, 'NF == 2 { printf "  %6d  %s\n", $2, $1 }'
}
echo "idcheck-verify: lines of code (cloc: neither blank nor comment-only)"
part "the verifier (theory/verify/, theory/verify.h)" 'theory/verify'
part "verdict names, theorem registry (theory/)" 'theory/(verdict|theorem)\.c'
part "instance reader and data model (models/)" 'models/'
part "numeric helpers: exact conversions, status, file reading (numeric/)" 'numeric/'
part "command-line front end (cli/verify.c, cli/verify/main.c)" 'cli/'
echo "$csv" | awk -F, '{ s += $2 } END { printf "total: %d lines of code in %d files\n", s, NR }'
echo
echo "libraries it trusts (linked into idcheck-verify; Debian packages):"
for l in flint gmp mpfr jansson nettle lapacke openblas; do
  pkg=$(dpkg -S "lib$l.so" 2>/dev/null | grep -v -- '-dev' | head -1 | cut -d: -f1 || true)
  ver=$( [ -n "$pkg" ] && dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || echo "?")
  case $l in
    flint) why="exact rationals, matrices, determinants mod p" ;;
    gmp) why="big integers (under FLINT)" ;;
    mpfr) why="multiprecision floats (FLINT needs it; not called by the verifier)" ;;
    jansson) why="JSON of certificates, reports and instances" ;;
    nettle) why="SHA-256 of the instance (model_hash)" ;;
    lapacke|openblas) why="the instance reader's float factor of a covariance (for sampling; the verifier reads Sigma exactly)" ;;
  esac
  printf '  %-9s %-28s %s\n' "$l" "${pkg:-?} ${ver}" "$why"
done
if [ -n "${VERIFY_BIN:-}" ] && [ -x "$VERIFY_BIN" ]; then
  echo "shared objects idcheck-verify loads ($VERIFY_BIN):"
  ldd "$VERIFY_BIN" | awk '{ print "  " $1 }' | grep -v -e linux-vdso -e ld-linux
fi
