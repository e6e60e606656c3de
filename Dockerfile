# lungcheck: one process serving the API, the form, request logging and scheduled log shipping; the same image runs
# the command-line tools (node dist/cli/<name>.js: ship, train, migrate, simulate, drift); docs/deployment.md.
# Build: docker build -t lungcheck .   Run: docker run -p 8000:8000 lungcheck   (see docker-compose.yml for the stack)

FROM node:26-bookworm-slim AS build
# onnxruntime-node's install script only downloads CUDA libraries; skipped (allowScripts in package.json too).
ENV ONNXRUNTIME_NODE_INSTALL=skip
WORKDIR /app
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY src ./src
# Compiles the service (dist/main.js) and every command-line tool (dist/cli/*.js): ts-node is a dev dependency and
# src/ stays in this stage, so the runtime image runs only compiled code.
RUN npm run build && npm prune --omit=dev

FROM node:26-bookworm-slim
ENV NODE_ENV=production TZ=UTC API_HOST=0.0.0.0 API_PORT=8000
WORKDIR /app
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
COPY --chown=node:node model ./model
COPY --chown=node:node views ./views
COPY --chown=node:node public ./public
# The survey data `node dist/cli/train.js` learns from, and the Kibana saved objects `node dist/cli/migrate.js
# import-dashboards` loads (the kibana-setup service of docker-compose.yml).
COPY --chown=node:node data/survey_lung_cancer.csv ./data/
COPY --chown=node:node kibana ./kibana
# LOG_ARCHIVE_DIR: where shipped entries go as NDJSON files when no Elasticsearch is configured.
RUN mkdir -p /app/data/indexes && chown node:node /app/data /app/data/indexes
USER node
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||process.env.API_PORT||8000)+'/health').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
CMD ["node", "dist/main.js"]
