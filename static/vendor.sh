#!/usr/bin/env bash
# Re-vendors the front-end packages from the npm registry into static/vendor.
# Versions are pinned here; the app serves these files from the binary (no CDN).
set -euo pipefail
cd "$(dirname "$0")"
pkgs=("htmx.org@2.0.11" "@picocss/pico@2.1.1" "echarts@6.1.0")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && for p in "${pkgs[@]}"; do npm pack --silent "$p" >/dev/null; done && for f in *.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done )
cp "$tmp"/htmx.org-*/package/dist/htmx.min.js vendor/htmx.min.js
cp "$tmp"/htmx.org-*/package/LICENSE vendor/htmx.LICENSE
cp "$tmp"/picocss-pico-*/package/css/pico.min.css vendor/pico.min.css
cp "$tmp"/picocss-pico-*/package/LICENSE.md vendor/pico.LICENSE
cp "$tmp"/echarts-*/package/dist/echarts.min.js vendor/echarts.min.js
cp "$tmp"/echarts-*/package/LICENSE vendor/echarts.LICENSE
printf '%s\n' "${pkgs[@]}" > vendor/VERSIONS
( cd vendor && sha256sum htmx.min.js pico.min.css echarts.min.js >> VERSIONS )
