#!/bin/sh
# Debian's chromium, for the explorer's headless-browser tests (Playwright's own browser download
# cannot run on these machines). Part of the README's first command, so `npm test` finds it.
# Never fails the install: without root or sudo it says what to run instead.
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ]; then
  SUDO=""
elif command -v sudo >/dev/null 2>&1; then
  SUDO="sudo"
else
  echo "chromium is missing and cannot be installed here (not root, no sudo): run" >&2
  echo "  apt-get install -y chromium   (or set CHROMIUM_PATH) before npm test" >&2
  exit 0
fi
echo "installing Debian's chromium for the explorer's browser tests"
$SUDO apt-get update -qq &&
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null ||
  echo "could not install chromium: the explorer's browser tests will say how to" >&2
exit 0
