#!/usr/bin/env bash
# Builds the Docker images the tests run, from local files only (no registry is reachable, so
# every image starts FROM scratch). It owns the three fixture tags below and nothing else: it
# never removes or prunes other images. Each image carries the label
# dev.contextforge.fixture.input-hash; when that matches the hash of its inputs the build is
# skipped, so a second run costs a few seconds. Usage: scripts/fixture-images.sh [--force]
#
# Images:
#   contextforge-fixture/node:20
#       /usr/bin/node of this machine, the shared libraries `ldd` lists (at their own paths),
#       /tmp (1777), /etc/passwd with root and "mcp" (uid/gid 10001). No shell. CMD node.
#       Default user is root; backends choose the user (e.g. "10001:10001").
#   contextforge-fixture/everything:latest
#       @modelcontextprotocol/server-everything@2026.8.31 in /app (production deps only).
#       ENTRYPOINT node /app/node_modules/@modelcontextprotocol/server-everything/dist/index.js
#       and the first argument selects the transport (read from its dist/index.js):
#         stdio           MCP over stdin/stdout (needs `docker run -i`, attach stdin);
#         sse             legacy HTTP+SSE: GET /sse opens the stream, POST /message?sessionId=…;
#         streamableHttp  Streamable HTTP at /mcp (POST, GET, DELETE) — the default CMD here.
#       Both HTTP transports call express `app.listen(PORT)` with no host, i.e. they bind every
#       interface (0.0.0.0 / ::) inside the container, so a port published on 127.0.0.1 of the
#       host reaches them. The port comes from env PORT (set to 3001 in the image, also the
#       server's own default). EXPOSE 3001.
#   contextforge-fixture/busybox:latest
#       Debian busybox-static as /bin/busybox with every applet symlinked into /bin (sh, wget,
#       nc, httpd, ...); /tmp, /etc/passwd (root, mcp 10001, nobody). CMD /bin/sh.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="$ROOT/test/fixtures/images"
BUILD="$SRC/build"
EVERYTHING_PKG="@modelcontextprotocol/server-everything@2026.8.31"
NODE_IMAGE="contextforge-fixture/node:20"
EVERYTHING_IMAGE="contextforge-fixture/everything:latest"
BUSYBOX_IMAGE="contextforge-fixture/busybox:latest"
HASH_LABEL="dev.contextforge.fixture.input-hash"
FORCE=0

for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "fixture-images: unknown argument '$arg' (expected --force)" >&2; exit 2 ;;
  esac
done

# The legacy builder is used on purpose: it is what Debian's docker.io 20.10 offers without the
# buildx plugin, and it behaves the same with a newer CLI.
export DOCKER_BUILDKIT=0

die() { echo "fixture-images: $*" >&2; exit 1; }

command -v docker >/dev/null || die "docker CLI not found; install docker.io (see .ci/run)."
docker info >/dev/null 2>&1 || die "the Docker daemon does not answer; start dockerd (see .ci/run)."

# Images live in the daemon, which every checkout and every test process shares, so builds are
# serialised machine-wide; a waiting process then finds the image up to date and skips.
LOCK="${TMPDIR:-/tmp}/contextforge-fixture-images.lock"
if command -v flock >/dev/null; then
  exec 9>"$LOCK"
  flock -w 900 9 || die "timed out waiting for another fixture build (lock $LOCK)."
fi

sha() { sha256sum "$@" | awk '{print $1}'; }
script_hash="$(sha "$ROOT/scripts/fixture-images.sh")"

current_hash() {
  docker image inspect -f "{{ index .Config.Labels \"$HASH_LABEL\" }}" "$1" 2>/dev/null || true
}

# build <image> <context dir> <input hash>
build() {
  local image="$1" ctx="$2" hash="$3" log
  log="$(mktemp)"
  if ! docker build --network none --force-rm \
      --label dev.contextforge.fixture=true --label "$HASH_LABEL=$hash" \
      -t "$image" "$ctx" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "building $image failed (output above)."
  fi
  rm -f "$log"
  echo "fixture-images: built $image"
}

up_to_date() {
  local image="$1" hash="$2"
  if [[ $FORCE -eq 0 && "$(current_hash "$image")" == "$hash" ]]; then
    echo "fixture-images: $image is up to date"
    return 0
  fi
  return 1
}

# Shared libraries node needs, as absolute paths exactly as ldd prints them.
node_libs() {
  ldd /usr/bin/node | awk '
    $2 == "=>" && $3 ~ /^\// { print $3; next }
    $1 ~ /^\// { print $1 }'
}

# ---- contextforge-fixture/node:20 -------------------------------------------------------------
NODE_BIN="$(readlink -f /usr/bin/node)"
mapfile -t LIBS < <(node_libs)
[[ ${#LIBS[@]} -gt 0 ]] || die "ldd listed no libraries for /usr/bin/node."
node_hash="$(
  {
    echo "$script_hash"
    sha "$SRC/node/Dockerfile" "$SRC/node/passwd" "$SRC/node/group"
    sha "$NODE_BIN"
    for lib in "${LIBS[@]}"; do echo "$lib $(sha "$(readlink -f "$lib")")"; done
  } | sha256sum | awk '{print $1}'
)"
if ! up_to_date "$NODE_IMAGE" "$node_hash"; then
  ctx="$BUILD/node"
  rm -rf "$ctx" && mkdir -p "$ctx/rootfs/usr/bin" "$ctx/rootfs/etc" "$ctx/rootfs/tmp"
  chmod 1777 "$ctx/rootfs/tmp"
  cp "$SRC/node/Dockerfile" "$ctx/Dockerfile"
  cp "$SRC/node/passwd" "$SRC/node/group" "$ctx/rootfs/etc/"
  cp -L "$NODE_BIN" "$ctx/rootfs/usr/bin/node"
  for lib in "${LIBS[@]}"; do
    mkdir -p "$ctx/rootfs$(dirname "$lib")"
    cp -L "$lib" "$ctx/rootfs$lib"
  done
  build "$NODE_IMAGE" "$ctx" "$node_hash"
  rm -rf "$ctx"
fi

# ---- contextforge-fixture/everything:latest ---------------------------------------------------
everything_hash="$(
  printf '%s\n' "$script_hash" "$node_hash" "$EVERYTHING_PKG" "$(sha "$SRC/everything/Dockerfile")" \
    | sha256sum | awk '{print $1}'
)"
if ! up_to_date "$EVERYTHING_IMAGE" "$everything_hash"; then
  ctx="$BUILD/everything"
  rm -rf "$ctx" && mkdir -p "$ctx/app"
  cp "$SRC/everything/Dockerfile" "$ctx/Dockerfile"
  echo '{ "name": "everything-fixture", "private": true }' >"$ctx/app/package.json"
  # --ignore-scripts: none of its dependencies needs an install script, and none should run.
  if ! (cd "$ctx/app" && npm install --omit=dev --no-audit --no-fund --ignore-scripts \
        --prefer-offline --loglevel=error "$EVERYTHING_PKG" >"$ctx/npm.log" 2>&1); then
    cat "$ctx/npm.log" >&2
    die "npm install of $EVERYTHING_PKG failed (output above)."
  fi
  rm -f "$ctx/npm.log"
  [[ -f "$ctx/app/node_modules/@modelcontextprotocol/server-everything/dist/index.js" ]] \
    || die "$EVERYTHING_PKG installed without dist/index.js."
  build "$EVERYTHING_IMAGE" "$ctx" "$everything_hash"
  rm -rf "$ctx"
fi

# ---- contextforge-fixture/busybox:latest ------------------------------------------------------
BUSYBOX_BIN=""
for candidate in /bin/busybox /usr/bin/busybox; do
  if [[ -x "$candidate" ]]; then BUSYBOX_BIN="$(readlink -f "$candidate")"; break; fi
done
[[ -n "$BUSYBOX_BIN" ]] || die "busybox not found; install Debian's busybox-static."
# The applets must run in an empty image, so only a statically linked busybox will do.
if ldd "$BUSYBOX_BIN" >/dev/null 2>&1; then
  die "$BUSYBOX_BIN is dynamically linked; install Debian's busybox-static instead of busybox."
fi
busybox_hash="$(
  {
    echo "$script_hash"
    sha "$SRC/busybox/Dockerfile" "$SRC/busybox/passwd" "$SRC/busybox/group" "$BUSYBOX_BIN"
  } | sha256sum | awk '{print $1}'
)"
if ! up_to_date "$BUSYBOX_IMAGE" "$busybox_hash"; then
  ctx="$BUILD/busybox"
  rm -rf "$ctx" && mkdir -p "$ctx/rootfs/bin" "$ctx/rootfs/etc" "$ctx/rootfs/tmp"
  chmod 1777 "$ctx/rootfs/tmp"
  cp "$SRC/busybox/Dockerfile" "$ctx/Dockerfile"
  cp "$SRC/busybox/passwd" "$SRC/busybox/group" "$ctx/rootfs/etc/"
  cp -L "$BUSYBOX_BIN" "$ctx/rootfs/bin/busybox"
  build "$BUSYBOX_IMAGE" "$ctx" "$busybox_hash"
  rm -rf "$ctx"
fi
