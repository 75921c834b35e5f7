# syntax=docker/dockerfile:1
#
# eks-log-forwarder container image.
#   docker build -t eks-log-forwarder:0.1.0 .
#   docker run --rm eks-log-forwarder:0.1.0 --help
#
# Base image: pinned by exact version tag (Node 22 LTS, Alpine 3.22). It is NOT pinned by digest
# because no registry was reachable where this file was written; before releasing, append the
# digest of the multi-arch index, e.g. FROM node:22.21.1-alpine3.22@sha256:<digest> (find it
# with `docker buildx imagetools inspect node:22.21.1-alpine3.22`), in both stages. Node 22, not
# 20: 20 leaves maintenance at the end of April 2026. package.json asks for Node >= 20.11.
ARG NODE_IMAGE=node:22.21.1-alpine3.22

# ---- build: compile TypeScript (src/ -> dist/) with the dev dependencies ----
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the build needs no install scripts (the only one is esbuild's, a dev tool).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---- runtime: production dependencies and dist/ only ----
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Then drop npm, npx, corepack and yarn: nothing at run time needs a package manager.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force \
 && rm -rf /root/.npm /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack \
      /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
COPY --from=build /app/dist ./dist
# Files stay root-owned and read-only to the process; it writes only to /tmp (an emptyDir in
# Kubernetes, where the root filesystem is read-only). Numeric uid, so runAsNonRoot can check it.
USER 10001:10001
# HOME=/tmp: the default checkpoint directory is under $HOME; mount a volume and set
# EKS_FORWARDER_STATE_DIR to keep file checkpoints across `docker run`s.
ENV HOME=/tmp
# V8 sizes its heap for the machine, not the pod, and lets garbage pile up to several times the
# ~25 MB live set before a full collection (peak RSS 200-300 MB on a large backfill). A heap cap
# below the pod's 256Mi limit makes it collect earlier: 125 MB peak for ~25 % more CPU (npm run
# bench). Raise both together; `npm run bench` runs the compiled forwarder with this line.
ENV NODE_OPTIONS="--max-old-space-size=160 --max-semi-space-size=8"
EXPOSE 9090
ENTRYPOINT ["node", "dist/cli/bin.js"]
CMD ["run"]
