#!/usr/bin/env bash
# .ci/engine.sh: bring up a real Docker engine for the image tests on a Debian 12 machine with
# no container registry (adapted from the shared engine recipe; self-contained on purpose).
# Each step is skipped when already done, so a warm rerun takes about a second.
#
#   1. apt-get install docker.io containerd runc iptables debootstrap (when missing)
#   2. start dockerd in the background unless `docker info` already answers
#      (PID in $ENGINE_STATE/cache/dockerd.pid; stop it with `kill $(cat …)`)
#   3. base image local/debian-python:bookworm: debootstrap minbase + Debian's Python 3.11,
#      the host's extra CA files (HTTPS leaves this machine through an intercepting proxy)
#   4. local/uv:<ver> for each of $UV_VERSIONS (FROM scratch, /uv and /uvx from the PyPI wheel,
#      the layout of ghcr.io/astral-sh/uv:<ver>, which is tagged too so COPY --from works offline)
#
# Settings: ENGINE_STATE (default /var/tmp/docker-engine), UV_VERSIONS (default "0.13.9 0.7.13"),
# ENGINE_PIP (a pip to download uv wheels with; default `python3 -m pip`), SUITE, MIRROR.
# Needs root. A machine whose `docker info` already answers (a developer's Docker) needs none of
# this: .ci/run only calls it when no engine answers.
set -euo pipefail

ENGINE_DIR="${ENGINE_STATE:-/var/tmp/docker-engine}"
CACHE="$ENGINE_DIR/cache"
LOGS="$CACHE/logs"
: "${DOCKER_DATA_ROOT:=$CACHE/docker-data}"
: "${SUITE:=bookworm}"
: "${BASE_IMAGE:=local/debian-python:$SUITE}"
: "${BASE_PACKAGES:=python3,python3-venv,python-is-python3,ca-certificates}"
: "${UV_VERSIONS:=0.13.9 0.7.13}"
: "${ENGINE_PIP:=python3 -m pip}"
ROOTFS="$ENGINE_DIR/rootfs/debian-python-$SUITE"
DOCKERD_LOG="$LOGS/dockerd.log"
DOCKERD_PIDFILE="$CACHE/dockerd.pid"

export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH"
mkdir -p "$CACHE" "$LOGS" "$ENGINE_DIR/rootfs"

T0=$(date +%s.%N)
log() { printf '[engine %5.1fs] %s\n' "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
[ "$(id -u)" = 0 ] || die "must run as root (or start a Docker engine yourself: the tests use any that answers)"

# ---------------------------------------------------------------- 1. packages
engine_up() { timeout 10 docker info >/dev/null 2>&1; }
PKGS=(docker.io containerd runc iptables debootstrap ca-certificates)
# An engine that already answers (Docker CE, Desktop) stays: only the base image tools are added
# (docker.io would conflict with docker-ce's packages).
if engine_up; then PKGS=(debootstrap ca-certificates); fi
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # No recommends: no apparmor/git/cgroupfs-mount. The postinst cannot start the service here
  # (no systemd); dockerd is started below.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$LOGS/apt-install.log" 2>&1 \
    || { tail -20 "$LOGS/apt-install.log" >&2; die "apt-get install failed"; }
  log "packages installed"
fi

# ---------------------------------------------------------------- 2. dockerd

start_dockerd() {  # $@: dockerd flags; 0 once `docker info` answers
  local pid
  log "starting dockerd --data-root $DOCKER_DATA_ROOT $*"
  mkdir -p "$DOCKER_DATA_ROOT"
  echo "=== $(date -Is) dockerd --data-root $DOCKER_DATA_ROOT $*" >>"$DOCKERD_LOG"
  # setsid + nohup: the daemon outlives .ci/run, so a second run finds it warm.
  setsid nohup dockerd --data-root "$DOCKER_DATA_ROOT" "$@" >>"$DOCKERD_LOG" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$DOCKERD_PIDFILE"
  for _ in $(seq 1 120); do
    engine_up && { log "dockerd up (pid $pid)"; return 0; }
    kill -0 "$pid" 2>/dev/null || { tail -5 "$DOCKERD_LOG" >&2; return 1; }
    sleep 0.5
  done
  kill "$pid" 2>/dev/null || true
  return 1
}

if engine_up; then
  log "engine already answering"
else
  # overlay2 + bridge first; vfs without bridge where the kernel lacks overlayfs/netfilter.
  start_dockerd || start_dockerd --storage-driver=vfs --iptables=false --bridge=none \
    || die "dockerd would not start (see $DOCKERD_LOG)"
fi

# ---------------------------------------------------------------- 3. base image
host_ca_files() { ls /usr/local/share/ca-certificates/*.crt 2>/dev/null || true; }
host_ca_sig() {
  if [ -n "$(host_ca_files)" ]; then
    # shellcheck disable=SC2046
    cat $(host_ca_files) | sha256sum | cut -c1-16
  else
    echo none
  fi
}

detect_mirror() {  # the first "deb" URI apt uses for $SUITE
  local f m=""
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    m=$(awk -v s="$SUITE" '
      BEGIN { RS = ""; FS = "\n" }
      { t = u = su = ""
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/) t = $i; if ($i ~ /^URIs:/) u = $i; if ($i ~ /^Suites:/) su = $i }
        if (t ~ /[ \t]deb([ \t]|$)/ && (su " ") ~ ("[ \t]" s " ")) {
          sub(/^URIs:[ \t]*/, "", u); split(u, a, /[ \t]+/); print a[1]; exit } }' "$f")
    [ -n "$m" ] && { echo "$m"; return; }
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    m=$(awk -v s="$SUITE" '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ }
                                         if ($(i + 1) == s) { print $i; exit } }' "$f")
    [ -n "$m" ] && { echo "$m"; return; }
  done
  echo "http://deb.debian.org/debian"
}

build_rootfs() {
  local mirror="${MIRROR:-$(detect_mirror)}" tmp="$ROOTFS.partial"
  rm -rf "$tmp"
  mkdir -p "$CACHE/debootstrap-debs"
  log "debootstrap --variant=minbase $SUITE <- $mirror"
  debootstrap --variant=minbase --include="$BASE_PACKAGES" --cache-dir="$CACHE/debootstrap-debs" \
    "$SUITE" "$tmp" "$mirror" >"$LOGS/debootstrap.log" 2>&1 \
    || { tail -20 "$LOGS/debootstrap.log" >&2; die "debootstrap failed"; }
  chroot "$tmp" apt-get clean
  rm -rf "$tmp"/var/lib/apt/lists/* "$tmp"/etc/resolv.conf "$tmp"/etc/hostname
  touch "$tmp/.engine-rootfs-complete"
  rm -rf "$ROOTFS"
  mv "$tmp" "$ROOTFS"
}

want_sig="$(host_ca_sig)"
have_sig="$(docker image inspect -f '{{index .Config.Labels "engine.host-ca"}}' "$BASE_IMAGE" 2>/dev/null || true)"
if [ -z "$have_sig" ] || [ "$have_sig" != "$want_sig" ]; then
  [ -f "$ROOTFS/.engine-rootfs-complete" ] || build_rootfs
  rm -f "$ROOTFS"/usr/local/share/ca-certificates/*.crt
  # shellcheck disable=SC2046
  [ -z "$(host_ca_files)" ] || cp $(host_ca_files) "$ROOTFS/usr/local/share/ca-certificates/"
  chroot "$ROOTFS" update-ca-certificates --fresh >/dev/null 2>&1 || die "update-ca-certificates failed"
  if findmnt -rn -o TARGET | grep -q "^$ROOTFS/"; then die "something is mounted under $ROOTFS"; fi
  log "docker import -> $BASE_IMAGE"
  tar --numeric-owner -C "$ROOTFS" --exclude=./.engine-rootfs-complete -c . \
    | docker import \
        -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        -c 'ENV LANG=C.UTF-8' \
        -c 'ENV SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt' \
        -c "LABEL engine.host-ca=$want_sig engine.suite=$SUITE" \
        -c 'CMD ["/bin/bash"]' \
        - "$BASE_IMAGE" >/dev/null
  log "base image $BASE_IMAGE built"
fi

# ---------------------------------------------------------------- 4. uv images
uv_image() {  # $1: version
  local ver=$1 dir="$CACHE/uv-$1" whl
  if ! docker image inspect "local/uv:$ver" >/dev/null 2>&1; then
    if [ ! -x "$dir/uv" ]; then
      mkdir -p "$CACHE/wheelhouse"
      whl=$(ls "$CACHE"/wheelhouse/uv-"$ver"-py3-none-*manylinux*x86_64*.whl 2>/dev/null | head -1 || true)
      if [ -z "$whl" ]; then
        log "pip download uv==$ver"
        # shellcheck disable=SC2086
        $ENGINE_PIP download -q --no-deps --only-binary=:all: --platform manylinux_2_17_x86_64 \
          -d "$CACHE/wheelhouse" "uv==$ver" || die "pip download uv==$ver failed"
        whl=$(ls "$CACHE"/wheelhouse/uv-"$ver"-py3-none-*manylinux*x86_64*.whl | head -1)
      fi
      rm -rf "$dir.partial" && mkdir -p "$dir.partial"
      python3 - "$whl" "$dir.partial" <<'PY'
import os, sys, zipfile
whl, out = sys.argv[1:]
with zipfile.ZipFile(whl) as z:
    for n in z.namelist():
        b = os.path.basename(n)
        if ".data/scripts/" in n and b in ("uv", "uvx"):
            p = os.path.join(out, b)
            with open(p, "wb") as f:
                f.write(z.read(n))
            os.chmod(p, 0o755)
PY
      printf 'FROM scratch\nCOPY uv uvx /\n' >"$dir.partial/Dockerfile"
      rm -rf "$dir" && mv "$dir.partial" "$dir"
    fi
    docker build -q -t "local/uv:$ver" "$dir" >/dev/null 2>"$LOGS/uv-$ver-build.log" \
      || { cat "$LOGS/uv-$ver-build.log" >&2; die "local/uv:$ver build failed"; }
    log "local/uv:$ver built"
  fi
  docker tag "local/uv:$ver" "ghcr.io/astral-sh/uv:$ver"
}
for v in $UV_VERSIONS; do uv_image "$v"; done

log "ready: $(docker version -f 'client {{.Client.Version}}, server {{.Server.Version}}'), driver $(docker info -f '{{.Driver}}')"
