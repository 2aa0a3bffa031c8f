# Porthole container image.
#   docker build -t porthole .
#   docker run -p 8080:8080 -v "$PWD/porthole.yaml:/etc/porthole/porthole.yaml:ro" porthole
#
# Base image: Node.js 24, an LTS line (security fixes until April 2028), on Debian 12 slim.
# It is pinned by tag, not by digest: this file was written where no container registry could
# be reached, so no digest could be looked up or verified, and an unverified digest would be
# worse than none. Pin the one you build and test with:
#   docker buildx imagetools inspect node:24-bookworm-slim      # prints "Digest: sha256:..."
#   docker build --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:<that digest> -t porthole .
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM ${NODE_IMAGE}
# The server and `--healthcheck` read the same config: the health check follows its port and
# TLS (or PORTHOLE_PORT / PORTHOLE_HOST given with `docker run -e`).
ENV NODE_ENV=production \
    PORTHOLE_CONFIG=/etc/porthole/porthole.yaml
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build/server ./build/server
COPY --from=build /app/build/shared ./build/shared
COPY --from=build /app/dist ./dist
COPY deploy/container/porthole.yaml /etc/porthole/porthole.yaml
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s \
    CMD ["node", "build/server/main.js", "--healthcheck"]
# SIGTERM drains (sessions get 1001); give `docker stop` the time: docker stop -t 30.
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "build/server/main.js"]
