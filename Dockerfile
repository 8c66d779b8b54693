# One image for both processes (docker-compose.yml): the default command runs the API, the worker
# service overrides it with worker/main.ts. TypeScript runs through tsx (a runtime dependency).
#
# glibc base, not Alpine: @temporalio/core-bridge is a native module built for glibc and does not
# load on musl. node:20 to match package.json engines and the dev machines (Node 20.20).

# ---- build: all dependencies, the prebuilt workflow bundle, then drop devDependencies
FROM node:20.20.2-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Install scripts stay off: npm 11 on the dev machines and CI does not run unapproved scripts either,
# so the image holds exactly what the tests ran against (prebuilt native binaries come as packages).
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
# The worker loads this bundle (WORKFLOW_BUNDLE_PATH) instead of bundling workflows/ at start.
RUN npx tsx scripts/build-workflow-bundle.ts dist/workflow-bundle.js \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# ---- runtime
FROM node:20.20.2-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
# Owned by root and read-only for the app user; tsx keeps its transform cache under /tmp.
COPY --from=build /app ./
USER node
EXPOSE 3000
CMD ["node", "--import", "tsx", "api/server.ts"]
