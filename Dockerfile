# svr-keeper, compiled, production dependencies only, run as a non-root user.
# Build: docker build -t svr-keeper .   Run: see docker-compose.yml (secrets come from the environment).

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY hardhat.config.ts tsconfig.json tsconfig.build.json ./
COPY contracts ./contracts
COPY src ./src
# Compiles the contracts, generates the typed ABI modules (src/abi) and compiles the TypeScript.
RUN npm run build:js && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config/keeper.example.yaml ./config/keeper.example.yaml
COPY scenarios ./scenarios
USER node
EXPOSE 9464
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["run", "--config", "/config/keeper.yaml"]
