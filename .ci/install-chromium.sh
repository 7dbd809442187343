#!/usr/bin/env bash
# Installs what the browser tests (app/browsertest) need, from Debian's packages, when it is
# missing: Chromium at /usr/bin/chromium, and a CJK font so zh-CN pages in screenshots show
# characters instead of empty boxes. Safe to run again: it does nothing when both are there.
# Non-interactive and quiet; prints one line per package it installs.
# Afterwards: MIS_TEST_CHROME=/usr/bin/chromium go test ./app/browsertest/
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
if ! command -v fc-list >/dev/null 2>&1 || [ -z "$(fc-list :lang=zh 2>/dev/null)" ]; then
  need+=(fonts-wqy-microhei)
fi
[ ${#need[@]} -eq 0 ] && exit 0

for p in "${need[@]}"; do echo "install-chromium: installing $p"; done
as_root apt-get update -qq
as_root apt-get install -y -qq "${need[@]}" >/dev/null
if [ ! -x /usr/bin/chromium ]; then
  echo "install-chromium: /usr/bin/chromium is still missing after installing chromium" >&2
  exit 1
fi
