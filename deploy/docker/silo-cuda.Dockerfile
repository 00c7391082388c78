# syntax=docker/dockerfile:1
# A GPU silo: the same silo on CUDA 12 and cuDNN 9, which Microsoft.ML.OnnxRuntime.Gpu 1.31 loads when present; it
# advertises gpu=true, so extractors are placed on it first. Build from the repository root:
#   docker build -f deploy/docker/silo-cuda.Dockerfile -t outfitfinder/silo-cuda .
# Run with a GPU: docker run --gpus all … (the NVIDIA Container Toolkit on the host).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
RUN dotnet publish src/Silo/OutfitFinder.Silo.csproj -c Release -o /app -p:UseAppHost=false

# The ASP.NET Core runtime, copied onto the CUDA image rather than installed: the same bits as the CPU image.
FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS dotnet

FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl libicu74 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=dotnet /usr/share/dotnet /usr/share/dotnet
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet \
    && useradd --uid 1654 --user-group --no-create-home --home-dir /app app \
    && mkdir -p /data && chown 1654 /data
WORKDIR /app
COPY --from=build /app .
ENV ASPNETCORE_URLS=http://+:5090 \
    Storage__Root=/data \
    Extraction__Gpu=auto \
    NVIDIA_VISIBLE_DEVICES=all \
    NVIDIA_DRIVER_CAPABILITIES=compute,utility
EXPOSE 5090 11111 30000
USER 1654
HEALTHCHECK --interval=15s --timeout=3s --start-period=90s --retries=3 \
    CMD curl -fsS http://localhost:5090/health/live || exit 1
ENTRYPOINT ["dotnet", "OutfitFinder.Silo.dll"]
