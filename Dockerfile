# Portico in a container: a static binary on distroless, running as the
# image's non-root user, with the data dir as a volume. The domain comes
# from the operator:
#   docker run -d -p 80:80 -p 443:443 -v portico:/pb_data portico \
#     serve --dir /pb_data --http 0.0.0.0:80 --https 0.0.0.0:443 --domain portal.example.com
# Binding 80 and 443 without root: Docker (20.10+) and Podman set
# net.ipv4.ip_unprivileged_port_start=0 in a container's own network, so
# nothing more is needed. Other runtimes: --sysctl net.ipv4.ip_unprivileged_port_start=0.
# With --network host that sysctl is the host's: run the systemd unit instead.

FROM golang:1.27 AS build
# The image pins its own Go (GOTOOLCHAIN=local); let go.mod's go line fetch
# 1.27.3 if the image is older.
ENV GOTOOLCHAIN=auto
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN .ci/build /out/portico && mkdir /out/pb_data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/portico /usr/local/bin/portico
# A named volume starts as a copy of this dir, owned by nonroot (65532).
COPY --from=build --chown=nonroot:nonroot /out/pb_data /pb_data
USER nonroot:nonroot
VOLUME /pb_data
EXPOSE 80 443
ENTRYPOINT ["/usr/local/bin/portico"]
CMD ["serve", "--dir", "/pb_data", "--http", "0.0.0.0:80", "--https", "0.0.0.0:443"]
