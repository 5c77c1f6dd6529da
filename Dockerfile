# The gateway on Debian 12 with its FFmpeg 5.1 libraries.
# Build: docker compose build   Run: docker compose up
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
# The player page's hls.js and dash.js come from the npm registry.
RUN apt-get update && apt-get install -y --no-install-recommends nodejs npm && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Directory.Build.props Directory.Packages.props RtmpGateway.sln ./
COPY src/ src/
RUN cd src/RtmpGateway.Server/player && npm ci --no-audit --no-fund
COPY ffmpeg-config/ ffmpeg-config/
RUN dotnet publish src/RtmpGateway.Server/RtmpGateway.Server.csproj -c Release -r linux-x64 \
      --self-contained true -o /app

FROM debian:12-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      ca-certificates libavcodec59 libavformat59 libavfilter8 libswscale6 libavutil57 libswresample4 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
COPY ffmpeg-config/ /app/ffmpeg-config/
EXPOSE 1935 8080
USER nobody
ENTRYPOINT ["/app/RtmpGateway.Server"]
