# syntax=docker/dockerfile:1
# netfence operator image.
#   docker build -t ghcr.io/netfence/netfence:0.1.0 .
# Stage 1 compiles the TypeScript with every dependency, then keeps only the
# production dependencies and drops the development harness; the runtime is
# distroless Node 20 (no shell, no package manager) running as uid 65532; the
# app files stay owned by root, so the process cannot change its own code.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund
# The development harness stays in the repository and the npm package: the local
# control plane, the data plane, the demo and the commands that run them, which
# the CLI imports only when invoked (here it says they are not in the image).
# test/unit/packaging rebuilds the image's dist/ from this list.
RUN rm -r dist/controlplane dist/dataplane dist/demo \
          dist/cli/controlplane.js* dist/cli/dataplane.js* dist/cli/demo.js* dist/cli/probe.js*

FROM gcr.io/distroless/nodejs20-debian12:nonroot
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY bin ./bin
COPY crds ./crds
USER 65532:65532
EXPOSE 8080 8081
ENTRYPOINT ["/nodejs/bin/node", "bin/netfence.js"]
CMD ["run"]
