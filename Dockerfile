# burnwatch as a container: `docker compose up` (see docker-compose.yml).
FROM node:20-bookworm-slim
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --omit=dev
COPY . .
ENV NODE_ENV=production
EXPOSE 8080 8081
ENTRYPOINT ["node", "bin/burnwatch.js"]
CMD ["serve", "--config", "/app/demo/config"]
