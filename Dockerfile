# The app service of docker-compose.yml: `sls offline start` (through `npm start`,
# which finds LocalStack and QuickChart already answering and starts neither).
FROM node:22-bookworm-slim
WORKDIR /app
ENV CI=true SLS_TELEMETRY_DISABLED=1 SLS_NOTIFICATIONS_MODE=off
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
EXPOSE 3002
CMD ["npm", "start"]
