#!/usr/bin/env bash
# Gradescope runs this once on its image (Ubuntu; Debian works too) to build the autograder: the
# system packages the grader uses, Node.js 22 where the system's is older than 20, the grader's npm
# dependencies, the demo clip and a browser. Everything is fetched here, so grading a submission
# downloads nothing.
set -euo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
export DEBIAN_FRONTEND=noninteractive HUSKY=0 PUPPETEER_SKIP_DOWNLOAD=1
# shellcheck disable=SC1091 # the running system's own file
. /etc/os-release
PACKAGES=(ca-certificates curl git ffmpeg xvfb xauth fonts-dejavu-core libasound2 python3 python3-opencv
  python3-pyaudio python3-numpy bubblewrap util-linux procps)
# Debian's chromium is a real browser. Ubuntu's chromium-browser is a stub that asks for snap, which
# does not run in a container: there Chrome for Testing is installed below instead.
if [ "${ID:-}" = debian ]; then PACKAGES+=(chromium); fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"
if ! node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' 2>/dev/null; then
  curl -fsSL https://deb.nodesource.com/setup_22.x | bash -
  apt-get install -y -qq nodejs
fi
cd "$ROOT/source"
# The grader's dependencies, through a cache that stays in the image: a hand-in of this template
# comes without node_modules, and its `npm ci` then installs from that cache (prefer-offline)
# instead of the registry.
npm config set --location=global cache "$ROOT/npm-cache"
npm config set --location=global prefer-offline true
npm ci --no-audit --no-fund
# The browser for the screenshots, chosen now: a system Chromium that runs, else Chrome for Testing
# (with the libraries it needs) in the folder run_autograder points puppeteer's cache at.
if chromium --version >/dev/null 2>&1; then
  echo "setup.sh: browser: $(chromium --version)"
else
  npx --no-install @puppeteer/browsers install chrome@stable --path "$ROOT/source/.cache/puppeteer" --install-deps
fi
# The demo clip every submission streams, made once (≈ 25 s).
node --import tsx --input-type=module -e "await (await import('./src/media/clips.ts')).ensureDemoClip()"
apt-get clean
rm -rf /var/lib/apt/lists/*
chmod +x "$ROOT/source/run_autograder"
