#!/usr/bin/env bash
# Gradescope runs this once on its Ubuntu image to build the autograder: the system packages the
# grader uses, Node.js 22 (Ubuntu's own is too old), then the grader's npm dependencies.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive HUSKY=0
apt-get update -qq
apt-get install -y -qq --no-install-recommends ca-certificates curl git ffmpeg xvfb xauth fonts-dejavu-core \
  libasound2 python3 python3-opencv python3-pyaudio python3-numpy bubblewrap chromium-browser \
  || apt-get install -y -qq --no-install-recommends ca-certificates curl git ffmpeg xvfb xauth fonts-dejavu-core \
  libasound2 python3 python3-opencv python3-pyaudio python3-numpy bubblewrap
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; then
  curl -fsSL https://deb.nodesource.com/setup_22.x | bash -
  apt-get install -y -qq nodejs
fi
cd "$ROOT/source"
# Chromium for the screenshots: the system one when apt had it, else puppeteer fetches its own at first use.
npm ci --no-audit --no-fund
chmod +x "$ROOT/source/run_autograder"
