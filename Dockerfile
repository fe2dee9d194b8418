# callguard (the SIP application server) for docker-compose.yml. Build: docker build -t callguard .
# Stage 1 compiles TypeScript and generates the build-time tables (npm run build); stage 2 carries only
# the production dependencies, dist/ and the files callguard reads at run time from beside package.json.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` would build before the sources are copied; the build runs below.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY bench ./bench
COPY test/support ./test/support
# The build compiles and checks the package's numbering tables into dist/ (scripts/build-numbering.mjs).
COPY dialplan/numbering ./dialplan/numbering
RUN npm run build

FROM node:20-slim
ENV NODE_ENV=production
# espeak-ng and sox speak the call-out's messages to responders at run time (and `callguard render`);
# without them a responder hears only an alarm tone.
RUN apt-get update && apt-get install -y --no-install-recommends espeak-ng sox && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# Read at run time from the package root (src/packageRoot.ts): the console's and the web admin's pages
# (served as they are, no build step), and the numbering tables a mounted plan without numbering/ falls back to.
COPY src/http/console ./src/http/console
COPY src/http/adminPages ./src/http/adminPages
COPY dialplan/numbering ./dialplan/numbering
# The sample plan, used when no plan is mounted over /etc/callguard/dialplan.
COPY dialplan /etc/callguard/dialplan
# `callguard ...` inside the container (docker compose exec app callguard recordings list).
RUN chmod +x dist/src/cli/main.js && ln -s /app/dist/src/cli/main.js /usr/local/bin/callguard \
  # The recordings (and call-out audio) directories exist owned by the app's user, so that a new named
  # volume mounted here starts with that owner (Docker copies it from the image) and the app can
  # create <yyyy>/<mm>/<dd> (and render the call-out's messages).
  && mkdir -p /var/lib/callguard/recordings /var/lib/callguard/data /var/lib/callguard/call-out && chown -R node:node /var/lib/callguard \
  && chmod 0750 /var/lib/callguard/recordings /var/lib/callguard/data /var/lib/callguard/call-out
USER node
ENV CALLGUARD_DIALPLAN=/etc/callguard/dialplan
# Call records, the alert outbox, tokens and the audit log: a volume, so they outlive the container.
ENV CALLGUARD_DATA_DIR=/var/lib/callguard/data
EXPOSE 8080
# Exec form, no shell between: node (through the callguard symlink's `env node`) is PID 1 and gets
# `docker stop`'s SIGTERM itself, so serve drains (compose gives it stop_grace_period for that).
ENTRYPOINT ["callguard"]
CMD ["serve"]
