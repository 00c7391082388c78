# syntax=docker/dockerfile:1
# The gateway: REST API, web page, /metrics, the Orleans dashboard when enabled. Build from the repository root:
#   docker build -f deploy/docker/gateway.Dockerfile -t outfitfinder/gateway .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
RUN dotnet publish src/Gateway/OutfitFinder.Gateway.csproj -c Release -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl only for the health check: the base image has no HTTP client.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
# Shard folders and ingestion checkpoints when Storage:Kind is Folder; unused with Azure Blob Storage.
RUN mkdir -p /data && chown "$APP_UID" /data
ENV ASPNETCORE_URLS=http://+:8080 \
    Storage__Root=/data
EXPOSE 8080
# The image's non-root user (uid 1654).
USER $APP_UID
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS http://localhost:8080/health/live || exit 1
ENTRYPOINT ["dotnet", "OutfitFinder.Gateway.dll"]
