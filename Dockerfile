# The Verity worker, for operators. Build from the repository root:
#   docker build -t verity-worker .
#   docker run -v verity-data:/data -e VERITY_RPC_URL=https://... -e VERITY_PRIVATE_KEY=0x... \
#     -e VERITY_HUB_ADDRESS=0x... -p 9464:9464 verity-worker
# Every setting is a VERITY_* variable or a flag after the image name (docs/worker.md).
FROM node:22-bookworm-slim

ENV HARDHAT_DISABLE_TELEMETRY=true \
    NODE_ENV=production
WORKDIR /app
RUN npm install --global pnpm@12.21.0

# Dependencies first, so a source change does not reinstall them.
COPY package.json pnpm-lock.yaml pnpm-workspace.yaml ./
# Every workspace package the lockfile names, or a frozen install refuses to run.
COPY packages/cli/package.json packages/cli/
COPY packages/contracts/package.json packages/contracts/
COPY packages/devnet/package.json packages/devnet/
COPY packages/explorer/package.json packages/explorer/
COPY packages/models/package.json packages/models/
COPY packages/sdk/package.json packages/sdk/
COPY packages/worker/package.json packages/worker/
COPY packages/zk/package.json packages/zk/
RUN pnpm install --frozen-lockfile

# The contracts are compiled for their ABIs and typechain bindings, which the worker imports.
COPY . .
RUN pnpm build && mkdir /data && chown node:node /data

USER node
ENV VERITY_DATA_DIR=/data \
    VERITY_HTTP_HOST=0.0.0.0
VOLUME /data
EXPOSE 9464
# SIGTERM (docker stop) lets the worker finish or journal in-flight work; give it the time.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "packages/worker/bin/verity-worker.js"]
