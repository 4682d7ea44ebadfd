#!/usr/bin/env bash
# Before `npm test`: the browser tests drive Debian's chromium. Install it when it is missing and
# this machine can (root, apt); otherwise say what to do, rather than let the browser tests fail late.
set -euo pipefail
browser="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$browser" ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "pretest: installing Debian's chromium for the browser tests (test/browser)..." >&2
  apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >&2
  exit 0
fi
echo "pretest: the browser tests need Chromium at $browser: install Debian's 'chromium' package, or set CHROMIUM_PATH." >&2
exit 1
