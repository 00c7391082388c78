# syntax=docker/dockerfile:1
# A CPU silo: shards, extractors (ONNX Runtime on CPU), ingestion jobs. Build from the repository root:
#   docker build -f deploy/docker/silo.Dockerfile -t outfitfinder/silo .
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
RUN dotnet publish src/Silo/OutfitFinder.Silo.csproj -c Release -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
# curl only for the health check: the base image has no HTTP client.
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app .
RUN mkdir -p /data && chown "$APP_UID" /data
# 5090: health and /metrics; 11111: silo to silo; 30000: Orleans clients (the gateway).
ENV ASPNETCORE_URLS=http://+:5090 \
    Storage__Root=/data \
    Extraction__Gpu=false
EXPOSE 5090 11111 30000
USER $APP_UID
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
    CMD curl -fsS http://localhost:5090/health/live || exit 1
ENTRYPOINT ["dotnet", "OutfitFinder.Silo.dll"]
