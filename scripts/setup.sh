#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine with Node 20 lacks, idempotently:
#   - system libraries that canvas (charts) builds against, Chromium for the browser tests,
#     poppler for checking PDFs;
#   - npm packages (npm install, skipped when package-lock.json is unchanged since the last run)
#     and the native addon db/clickhouse/native (scripts/build-native.mjs);
#   - with --services: PostgreSQL and Redis for the integration tests, installed and started
#     when they are not already answering on 127.0.0.1.
# Re-running it is cheap: every step checks first.
set -euo pipefail
cd "$(dirname "$0")/.."

want_services=0
for arg in "$@"; do
  case "$arg" in
    --services) want_services=1 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option $arg (expected --services)" >&2; exit 2 ;;
  esac
done

say() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else say "need root for: $*"; return 1
  fi
}

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  say "Node.js 20 or newer is required (found: $(node -v 2>/dev/null || echo none))"
  exit 1
fi

packages=(build-essential python3 pkg-config libcairo2-dev libpango1.0-dev libjpeg-dev libgif-dev librsvg2-dev chromium poppler-utils fonts-dejavu-core)
if [ "$want_services" = 1 ]; then packages+=(postgresql redis-server); fi

if command -v dpkg-query >/dev/null; then
  missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing system packages: ${missing[*]}"
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
else
  say "not a Debian/Ubuntu system: install cairo, pango, libjpeg, giflib, librsvg dev packages and chromium yourself"
fi

lock_hash=$( (cat package-lock.json; node -v) | sha256sum | cut -d' ' -f1)
stamp=node_modules/.tradepilot-install
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  say "installing npm packages"
  # The CPU onnxruntime ships inside the package; its installer would fetch CUDA add-ons.
  ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund --loglevel=error
  echo "$lock_hash" > "$stamp"
fi
# npm install builds the native addon (db/clickhouse/native) after installing; this builds it
# where node_modules predates the addon or its sources changed, and is a no-op otherwise.
node scripts/build-native.mjs

as_postgres() {
  if [ "$(id -u)" = 0 ]; then su postgres -c "$(printf '%q ' "$@")"
  else sudo -u postgres "$@"
  fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if [ "$want_services" = 1 ]; then
  if ! port_open 5432; then
    say "starting PostgreSQL"
    as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n1)" main start
    # Tests connect as postgres over TCP without a password, to a database named test.
    for _ in $(seq 1 30); do port_open 5432 && break; sleep 1; done
  fi
  if ! as_postgres psql -tAc "select 1 from pg_database where datname='test'" 2>/dev/null | grep -q 1; then
    as_postgres createdb test 2>/dev/null || true
  fi
  if ! port_open 6379; then
    say "starting Redis"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
    for _ in $(seq 1 30); do port_open 6379 && break; sleep 1; done
  fi
  port_open 5432 || { say "PostgreSQL is not answering on 127.0.0.1:5432"; exit 1; }
  port_open 6379 || { say "Redis is not answering on 127.0.0.1:6379"; exit 1; }
fi
say "ready"
