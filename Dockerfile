# Porthole container image. Build: docker build -t porthole .
# Run:   docker run -p 8080:8080 -v $PWD/porthole.yaml:/etc/porthole/porthole.yaml:ro porthole
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build/server ./build/server
COPY --from=build /app/build/shared ./build/shared
COPY --from=build /app/dist ./dist
COPY deploy/container/porthole.yaml /etc/porthole/porthole.yaml
USER node
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
ENTRYPOINT ["node", "build/server/main.js"]
CMD ["--config", "/etc/porthole/porthole.yaml"]
