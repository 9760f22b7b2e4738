#!/bin/sh
# Regenerates the README's pictures: each SVG as synack draws it now, then
# each PNG from its SVG with headless Chromium (Debian: apt-get install -y
# chromium). The test `docs_images_are_current` fails while a committed SVG
# differs from what synack draws; run this script and commit docs/img/.
#
#   sh docs/img/render.sh            (from anywhere in the repository)
set -eu
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
(cd "$root" && cargo build -q -p synack)
synack="$root/target/debug/synack"

"$synack" sim echo --format svg -o echo.svg
"$synack" sim lost-data --format svg -o lost-data.svg
"$synack" sim bulk-loss --format svg --graph time-sequence -o bulk-loss-time-sequence.svg

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "render.sh: the SVGs are new; the PNGs need chromium: apt-get install -y chromium" >&2
    exit 3
fi
for svg in echo.svg lost-data.svg bulk-loss-time-sequence.svg; do
    # The picture's own size, from the <svg> element.
    size=$(sed -n 's/^<svg[^>]* height="\([0-9.]*\)"[^>]* width="\([0-9.]*\)".*/\2,\1/p' "$svg")
    profile=$(mktemp -d)
    "$browser" --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
        --user-data-dir="$profile" --window-size="$size" \
        --screenshot="$PWD/${svg%.svg}.png" "file://$PWD/$svg" >/dev/null 2>&1
    rm -rf "$profile"
    echo "render.sh: ${svg%.svg}.png ($size)"
done
