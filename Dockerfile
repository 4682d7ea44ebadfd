# Switchyard's image: `docker build -t switchyard .`, then `docker run -p 3000:3000 -v switchyard-data:/app/data switchyard`.
# Two stages: `build` compiles the TypeScript and keeps the production dependencies; `runtime` holds only those, the
# compiled server and its pages, and runs as a non-root user. Both start from the same base image, so the native
# addon (better-sqlite3) built or downloaded in `build` matches the runtime's Node ABI and glibc.
ARG NODE_VERSION=20

FROM node:${NODE_VERSION}-bookworm-slim AS build
# better-sqlite3 downloads a prebuilt binary for this Node and libc when it can; where it can't (no route to its
# release host, an unusual platform) it compiles itself, which needs these.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# The lockfile alone first, so a source change does not reinstall the dependencies (its own cached layer).
COPY package.json package-lock.json ./
# --ignore-scripts: the project's own `prepare` (npm run build) needs the sources, which only come in the next layer.
# The dependencies' install steps then run by name: better-sqlite3 fetches or compiles its native addon for this
# image, esbuild checks its binary (core-js's only prints a banner, and package.json's allowScripts skips it).
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3 esbuild
COPY . .
# dist/ (dist/main.js is the server), then the dev dependencies (TypeScript, tsx, types, playwright) go.
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and not writable by the server's user: the code cannot be changed by the process running it.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The pages (web chat, agent desktop, supervisor board): dist/web/static.js reads ../../public.
COPY --from=build /app/public ./public
# The SQLite store's default place (SQLITE_FILE defaults to ./data/switchyard.db, under WORKDIR). Made and handed to
# the `node` user before VOLUME, so a new named volume starts with that owner and the server can write to it.
RUN mkdir -p /app/data && chown node:node /app/data
VOLUME ["/app/data"]
# The base image's `node` user (uid 1000), by number so runtimes that enforce non-root (Kubernetes' runAsNonRoot)
# can check it.
USER 1000:1000
EXPOSE 3000
# The slim image has no curl; Node 20's fetch does it. PORT is read at check time, as the server reads it.
# Liveness (/health/live): the process answers. Not readiness: a store outage is no reason to restart a node,
# and the proxy in front (deploy/Caddyfile) asks /health/ready itself.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/live').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself is PID 1 (exec form, no npm or shell between): `docker stop`'s SIGTERM reaches the server's own handler.
CMD ["node", "dist/main.js"]
