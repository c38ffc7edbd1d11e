#!/usr/bin/env bash
# Draws the architecture pictures: docs/architecture/NAME.dot (the checked-in Graphviz source)
# -> docs/architecture/NAME.svg (checked in too, so the pages show them without a build).
# Installs Graphviz's `dot` from Debian with apt-get when it is missing (as root, or with sudo).
# Each SVG records the SHA-256 of the source it was drawn from; Tests/ScenarioTests/DocsTests.swift
# fails while an SVG's recorded digest differs from its source's (so a changed .dot must be drawn
# again), without depending on the Graphviz version that drew it.
#   scripts/docs-pictures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null 2>&1; then
  sudo=""
  if [ "$(id -u)" != 0 ]; then sudo=sudo; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq graphviz
fi
for source in docs/architecture/*.dot; do
  svg="${source%.dot}.svg"
  digest="$(sha256sum "$source" | cut -d' ' -f1)"
  dot -Tsvg "$source" | sed "s|^<svg |<!-- drawn from $(basename "$source") sha256:$digest by scripts/docs-pictures.sh -->\n<svg |" > "$svg.tmp"
  mv "$svg.tmp" "$svg"
  echo "wrote $svg"
done
