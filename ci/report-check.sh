#!/usr/bin/env bash
# The report as a browser sees it: `idcheck report STORE -o OUT/report.html`,
# then headless Chromium (Debian's chromium) dumps the DOM it built and takes
# a screenshot. Checks that every section of the report is in the DOM, that
# every id given after the store is too (figures: fig-kl, fig-sweep-1, ...),
# that every figure is an SVG image in a data: URI that decodes to an SVG
# document, that the page has no script element but the data block of its
# embedded store (type application/json, not executed) and fetches nothing, and that
# the screenshot was written (OUT/report.png, to look at).
#
# usage: ci/report-check.sh IDCHECK STORE OUTDIR [ID...]
# exit: 0 ok, 1 a check failed, 2 usage, 77 chromium not installed (skip).
set -uo pipefail
[ $# -ge 3 ] || { echo "usage: $0 IDCHECK STORE OUTDIR [ID...]" >&2; exit 2; }
bin=$1 store=$2 out=$3
shift 3
chromium=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chromium" ]; then
  echo "report-check: chromium not installed (make deps installs it): skipped" >&2
  exit 77
fi
mkdir -p "$out" || exit 2
out=$(cd "$out" && pwd)
fail() { echo "report-check: FAIL: $*" >&2; exit 1; }

"$bin" report "$store" -o "$out/report.html" || fail "idcheck report exited $?"
# A profile of its own, no network, no first-run work; stderr (D-Bus noise) to a file.
prof="$out/chromium-profile"
common=(--headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check
        --disable-extensions --disable-background-networking --user-data-dir="$prof"
        --proxy-server=127.0.0.1:9 --proxy-bypass-list='<-loopback>')
timeout 120 "$chromium" "${common[@]}" --dump-dom "file://$out/report.html" >"$out/dom.html" 2>"$out/chromium.log" ||
  fail "chromium --dump-dom failed (see $out/chromium.log)"
timeout 120 "$chromium" "${common[@]}" --hide-scrollbars --window-size=1200,3000 \
  --screenshot="$out/report.png" "file://$out/report.html" >>"$out/chromium.log" 2>&1 ||
  fail "chromium --screenshot failed (see $out/chromium.log)"
[ -s "$out/report.png" ] || fail "no screenshot written"

python3 - "$out/dom.html" "$out/report.html" "$@" <<'EOF' || exit 1
import base64, re, sys, xml.etree.ElementTree as ET
dom = open(sys.argv[1], encoding="utf-8").read()
page = open(sys.argv[2], encoding="utf-8").read()
want = ["summary", "summary-table", "provenance", "outcomes", "preconditions", "verify-howto",
        "sweeps", "kl", "heatmaps", "repro", "records"] + sys.argv[3:]
bad = []
for i in want:
    if not re.search(r'\sid="%s"' % re.escape(i), dom):
        bad.append("no element with id=%s in the DOM" % i)
# every figure: an <img> whose data: URI decodes to an SVG document
figs = re.findall(r'<figure class="plot" id="([^"]+)"><img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', dom)
if len(figs) != dom.count('<figure class="plot"'):
    bad.append("a figure without an inline SVG image")
for fid, b64 in figs:
    try:
        root = ET.fromstring(base64.b64decode(b64, validate=True))
        if not root.tag.endswith("}svg") or len(list(root.iter())) < 10:
            bad.append("figure %s: not an SVG drawing" % fid)
    except Exception as e:
        bad.append("figure %s: %s" % (fid, e))
# no executable script: the one script element is the embedded store's data
# block (type application/json, which a browser does not run)
data = '<script type="application/json" id="idcheck-data">'
for name, text in (("page", page), ("DOM", dom)):
    if len(re.findall(r"<script", text, re.I)) != 1 or text.count(data) != 1:
        bad.append("a script element other than the data block script#idcheck-data (%s)" % name)
if re.search(r'(src|href)="(https?:)?//', page):
    bad.append("a reference to the network")
for b in bad:
    print("report-check: FAIL:", b, file=sys.stderr)
print("report-check: %d ids present, %d figures decoded as SVG" % (len(want), len(figs)))
sys.exit(1 if bad else 0)
EOF
echo "report-check: ok; screenshot: $out/report.png"
