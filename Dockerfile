# vigil: build the CLI (better-sqlite3 compiled here from source: no prebuilt binary is
# downloaded), then run `vigil serve` on a slim Node image.
#
#   docker build -t vigil .
#   docker run --rm -p 9095:9095 -v vigil-data:/app/data vigil          # vigil serve on :9095
#   docker run --rm -v "$PWD/vigil.yaml:/app/vigil.yaml:ro" -p 9095:9095 -v vigil-data:/app/data vigil
#   docker run --rm vigil check rules/                                  # any other subcommand
#   docker run --rm -p 9095:9095 vigil demo --listen 0.0.0.0:9095         # the one-command demo
FROM node:20-bookworm-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# node-gyp takes Node's headers from the image, not from nodejs.org
ENV npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm ci --build-from-source --no-audit --no-fund
COPY tsconfig.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY rules ./rules
COPY runbooks ./runbooks
COPY profiles ./profiles
# The repository's vigil.yaml, reachable from outside the container; its SQLite file and TSDB
# (data/ beside it) go to the volume.
COPY vigil.yaml ./
RUN sed -i 's/^  listen: 127\.0\.0\.1:9095$/  listen: 0.0.0.0:9095/' vigil.yaml \
 && grep -q '^  listen: 0.0.0.0:9095$' vigil.yaml \
 && mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
EXPOSE 9095
USER node
HEALTHCHECK --interval=30s --timeout=5s CMD ["node", "-e", "fetch('http://127.0.0.1:9095/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# run through its first line (`env -S node <flags>`, coreutils 9 in bookworm), so the node flags live in one place
ENTRYPOINT ["/app/bin/vigil.js"]
CMD ["serve", "--config", "/app/vigil.yaml"]
