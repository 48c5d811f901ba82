# Gophernetes in a Debian container. A container runtime needs the kernel's full powers, so run
# it privileged:
#   docker build -t gophernetes .
#   docker run --privileged -it gophernetes
FROM debian:bookworm

# A compiler and make; `make` installs the remaining Debian packages itself (it runs as root here).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /gophernetes
COPY . .
RUN make && rm -rf /var/lib/apt/lists/*

CMD ["./gophernetes-shell", "--rootfs", "./rootfs"]
