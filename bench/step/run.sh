#!/bin/sh
# Times `synack step` on the 100 MB, 1%-loss run (bench/README.md, "synack
# step"): builds the release binary, then drives the scripted mode with
# drive.py for both profiles. Not a test: nothing here runs in `cargo test`.
#
#   bench/step/run.sh [--rounds N]
set -eu
cd "$(dirname "$0")/../.."
cargo build --release -p synack >&2
for profile in rfc linux; do
    python3 bench/step/drive.py target/release/synack bench/step/bulk-100mb-loss.tcp \
        --profile "$profile" "$@"
    echo
done
