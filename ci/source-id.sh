#!/bin/sh
# The source a build comes from, for provenance (reports/provenance.c):
# "git:COMMIT" in a clean git checkout, "git:COMMIT+dirty" with uncommitted
# changes to tracked files, else (a tarball) "tree:SHA256" over the source
# files (sorted paths and contents).
cd "$(dirname "$0")/.." || exit 1
if command -v git >/dev/null 2>&1 && c=$(git rev-parse --verify -q HEAD 2>/dev/null); then
  if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
    echo "git:$c+dirty"
  else
    echo "git:$c"
  fi
else
  h=$(find Makefile ci cli generators gpu models numeric properties reports theory -type f \
        \( -name '*.c' -o -name '*.h' -o -name '*.cu' -o -name '*.inc' -o -name '*.sh' -o -name Makefile \) \
        2>/dev/null | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-64)
  echo "tree:$h"
fi
