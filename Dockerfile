# The avsock grader in a container, for instructors on any OS (Linux, macOS, Windows with Docker):
# Debian 12 with Node 20, ffmpeg, Chromium, Xvfb, the tutorial's Python modules and bubblewrap.
#
#   docker build -t avsock-grader .
#   docker run --rm --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined \
#     --security-opt apparmor=unconfined --security-opt systempaths=unconfined \
#     -v "$PWD/class:/class" avsock-grader grade --class /class
#
# The extra rights let bubblewrap make a sandbox per submission inside the container: SYS_ADMIN and
# the unconfined seccomp/AppArmor profiles for its namespaces and mounts, systempaths=unconfined so
# it may mount a /proc of its own (the engine's masked /proc paths forbid that), NET_ADMIN to bring
# up the loopback of the network namespace a submission and the probe share. Without them add
# --no-sandbox and the container alone separates the class from your machine.
#
# BASE_IMAGE: any Debian 12 root with Node 20 in /usr/local/bin. `npm run image -- --local-base`
# makes one without a registry (mmdebstrap + Node from the npm registry) and builds this file on it.
ARG BASE_IMAGE=node:20-bookworm-slim
FROM ${BASE_IMAGE}

ENV DEBIAN_FRONTEND=noninteractive \
    HUSKY=0 \
    CI=true \
    PUPPETEER_SKIP_DOWNLOAD=1 \
    PUPPETEER_EXECUTABLE_PATH=/usr/bin/chromium

# ffmpeg/ffprobe for the clip; chromium, xvfb, xauth and a font for windows and screenshots;
# libasound2 for the audio sinks; python3-opencv/pyaudio/numpy to run the tutorial's server.py and
# client.py; git for the repo checks and cloning a roster; bubblewrap (with util-linux's nsenter,
# setpriv, prlimit) for the sandbox.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git ffmpeg chromium xvfb xauth fonts-dejavu-core \
      libasound2 python3 python3-opencv python3-pyaudio python3-numpy bubblewrap util-linux procps \
 && apt-get clean && rm -rf /var/lib/apt/lists/*

WORKDIR /grader
COPY package.json package-lock.json .puppeteerrc.cjs ./
# Only what grading runs (--omit=dev: no test runner, type checker or linter); naudiodon is optional
# and needs a compiler, which the image does not carry, so its build is skipped. No npm cache is kept.
RUN npm ci --omit=dev --no-audit --no-fund \
 && rm -rf /root/.npm /tmp/*
COPY tsconfig.json ./
COPY src ./src
# The demo clip every grading streams, made once here instead of in each container (26 s).
RUN node --import tsx --input-type=module -e "await (await import('./src/media/clips.ts')).ensureDemoClip()"
COPY grader ./grader

ENTRYPOINT ["/grader/grader/class/docker-entrypoint.sh"]
CMD ["grade", "--help"]
