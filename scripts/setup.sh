#!/bin/sh
# Installs the system packages synack and its tests need, on Debian or Ubuntu:
# libpcap (which synack loads for live capture; building needs no libpcap-dev,
# see capture/src/live/libpcap.rs), tshark and tcpdump (which the tests compare
# against), iproute2, iptables and ethtool (for the private network namespaces
# of live tests and `synack real`), and tmux (the test that drives `synack step`
# in a real terminal). Works as root (no sudo needed) and as a
# user who may use sudo. README.md's Quick start and .ci/run both call it, so
# they cannot drift apart.
set -eu

if [ "$(id -u)" -eq 0 ]; then
    as_root=""
elif command -v sudo >/dev/null 2>&1; then
    as_root="sudo"
else
    echo "setup.sh: run me as root, or install sudo: apt-get needs root" >&2
    exit 3
fi

packages="libpcap0.8 tshark tcpdump iproute2 iptables ethtool tmux ca-certificates"

# tshark asks whether non-root users may capture; answer it up front so the
# install never stops for a question.
echo "wireshark-common wireshark-common/install-setuid boolean false" |
    $as_root debconf-set-selections
$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
# shellcheck disable=SC2086 # the package list is meant to split
$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $packages
