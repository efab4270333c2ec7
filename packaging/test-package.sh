#!/usr/bin/env bash
# Installs the .deb into a clean Debian 12 root and checks what it did: the files, the
# conffile, the replenish user, the state folder, the generated tokens, `systemd-analyze
# verify` on the unit, the daemon starting as the service user and answering replenishctl,
# a re-install keeping an edited config, and a purge. Needs root and Debian's mirror.
#   packaging/test-package.sh [PACKAGE.deb]     (default: builds one with build-deb.sh)
# The clean root is made with debootstrap --variant=minbase once and kept as a tarball in
# $REPLENISH_ROOT_CACHE (default /var/cache/replenish-test); every run unpacks a fresh copy.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" -eq 0 ] || { echo "test-package: needs root (chroot, mount)" >&2; exit 1; }

deb="${1:-}"
if [ -z "$deb" ]; then
  deb="$(./packaging/build-deb.sh | tail -n 1)"
fi
deb="$(realpath "$deb")"
mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
cache="${REPLENISH_ROOT_CACHE:-/var/cache/replenish-test}"
base="$cache/bookworm-minbase.tar.gz"
work="$(mktemp -d /tmp/replenish-pkgtest.XXXXXX)"
root="$work/root"
failures=0
passed=0

cleanup() {
  for m in dev/pts dev proc; do
    mountpoint -q "$root/$m" 2>/dev/null && umount -l "$root/$m" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

step() { echo "== $*"; }
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@" >"$work/check.out" 2>&1; then
    echo "ok   $what"; passed=$((passed + 1))
  else
    echo "FAIL $what"; sed 's/^/     /' "$work/check.out"; failures=$((failures + 1))
  fi
}
# A command inside the root, with a clean environment.
in_root=(chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8)

if [ ! -s "$base" ]; then
  step "debootstrap --variant=minbase bookworm (once; kept in $base)"
  mkdir -p "$cache"
  timeout 1200 debootstrap --variant=minbase --include=systemd bookworm "$work/base" "$mirror" \
    >"$work/debootstrap.log" 2>&1 || { tail -20 "$work/debootstrap.log"; exit 1; }
  tar -C "$work/base" -czf "$base.tmp" . && mv "$base.tmp" "$base"
  rm -rf "$work/base"
fi
step "a fresh root from $base"
mkdir -p "$root"
tar -C "$root" -xzf "$base"
mount --bind /dev "$root/dev"
mount -t devpts devpts "$root/dev/pts" 2>/dev/null || true
mount -t proc proc "$root/proc"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
echo "deb $mirror bookworm main" >"$root/etc/apt/sources.list"
# No service starts inside the chroot (as in a Debian build chroot).
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"

step "apt-get install $(basename "$deb") (its Depends come from Debian's mirror)"
cp "$deb" "$root/tmp/replenish.deb"
timeout 900 "${in_root[@]}" apt-get -q update >"$work/apt.log" 2>&1 || { tail -20 "$work/apt.log"; exit 1; }
timeout 900 "${in_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -y -q install --no-install-recommends \
  /tmp/replenish.deb >>"$work/apt.log" 2>&1 || { tail -40 "$work/apt.log"; exit 1; }

step "checks"
depends="$(dpkg-deb -f "$deb" Depends)"
echo "Depends: $depends"
for lib in libsqlite3 libsystemd0 libspdlog libyaml-cpp libcpp-httplib procps libjs-chart.js; do
  check "Depends names $lib (shlibs, procps for the unit's /bin/kill, Chart.js for the console)" \
    grep -q "$lib" <<<"$depends"
done
for f in /usr/bin/replenishd /usr/bin/replenishctl; do
  check "$f is an executable" test -x "$root$f"
done
for f in /etc/replenish/replenishd.yaml /lib/systemd/system/replenishd.service \
  /usr/lib/sysusers.d/replenish.conf /usr/lib/tmpfiles.d/replenish.conf \
  /usr/share/doc/replenish/README.md /usr/share/replenish/console/index.html \
  /usr/share/replenish/console/app.js /usr/share/javascript/chart.js/chart.min.js; do
  check "$f installed" test -f "$root$f"
done
check "/etc/replenish/replenishd.yaml is a conffile" \
  sh -c "chroot '$root' dpkg-query -W -f='\${Conffiles}' replenish | grep -q /etc/replenish/replenishd.yaml"
check "system user replenish (uid < 1000, nologin, home /var/lib/replenish)" \
  sh -c "chroot '$root' getent passwd replenish | awk -F: '\$3 < 1000 && \$6 == \"/var/lib/replenish\" && \$7 ~ /nologin/ {ok=1} END {exit !ok}'"
check "group replenish" chroot "$root" getent group replenish
check "/var/lib/replenish is replenish:replenish 750" \
  sh -c "[ \"\$(chroot '$root' stat -c '%U:%G %a' /var/lib/replenish)\" = 'replenish:replenish 750' ]"
for t in operator shop; do
  check "/etc/replenish/$t.token made, root:replenish 640, 48 hex digits" \
    sh -c "[ \"\$(chroot '$root' stat -c '%U:%G %a' /etc/replenish/$t.token)\" = 'root:replenish 640' ] && grep -Eqx '[0-9a-f]{48}' '$root/etc/replenish/$t.token'"
done
check "unit enabled (multi-user.target.wants)" \
  test -L "$root/etc/systemd/system/multi-user.target.wants/replenishd.service"
check "systemd-analyze verify replenishd.service" \
  sh -c "chroot '$root' systemd-analyze verify /lib/systemd/system/replenishd.service 2>&1 | tee /dev/stderr | (! grep -q .)"
check "replenishd --version" sh -c "chroot '$root' /usr/bin/replenishd --version | grep -q '^replenishd '"
check "replenishd --check-config on the installed config" \
  chroot "$root" /usr/bin/replenishd --check-config /etc/replenish/replenishd.yaml

step "the daemon as user replenish, its database in /var/lib/replenish, the console on"
# The console is off by default; this run turns it on in a copy of the installed config.
sed 's/^  enabled: false/  enabled: true/' "$root/etc/replenish/replenishd.yaml" \
  >"$root/etc/replenish/console-test.yaml"
chmod 644 "$root/etc/replenish/console-test.yaml"
port_file=/var/lib/replenish/port
chroot "$root" setpriv --reuid=replenish --regid=replenish --init-groups \
  /usr/bin/replenishd --config /etc/replenish/console-test.yaml --listen 127.0.0.1:0 \
  --port-file "$port_file" >"$work/daemon.log" 2>&1 &
daemon=$!
for _ in $(seq 1 100); do [ -s "$root$port_file" ] && break; sleep 0.1; done
port="$(cat "$root$port_file" 2>/dev/null || echo 0)"
check "daemon started (port $port)" test "$port" -gt 0
check "replenishctl status through the API (token from the config)" \
  sh -c "chroot '$root' /usr/bin/replenishctl --url http://127.0.0.1:$port status | tee /dev/stderr | grep -q 'schema version'"
for page in /console/ /console/app.js /console/vendor/chart.min.js; do
  check "GET $page answers 200 from the installed files" \
    sh -c "curl -sf -o /dev/null http://127.0.0.1:$port$page"
done
check "database owned by replenish" \
  sh -c "[ \"\$(chroot '$root' stat -c '%U' /var/lib/replenish/replenish.db)\" = replenish ]"
kill -TERM "$daemon"
check "daemon drains and exits 0 on SIGTERM" wait "$daemon"
rm -f "$root$port_file" "$root/etc/replenish/console-test.yaml"

step "re-install keeps an edited config; purge removes tokens and state"
sed -i 's/^  name: "本店"/  name: "测试小铺"/' "$root/etc/replenish/replenishd.yaml"
"${in_root[@]}" DEBIAN_FRONTEND=noninteractive dpkg -i --force-confold /tmp/replenish.deb >>"$work/apt.log" 2>&1
check "edited conffile kept on upgrade" grep -q '测试小铺' "$root/etc/replenish/replenishd.yaml"
check "tokens kept on upgrade" test -f "$root/etc/replenish/operator.token"
"${in_root[@]}" DEBIAN_FRONTEND=noninteractive dpkg --purge replenish >>"$work/apt.log" 2>&1
check "purge removes the programs" test ! -e "$root/usr/bin/replenishd"
check "purge removes the tokens and the config" test ! -e "$root/etc/replenish"
check "purge removes /var/lib/replenish" test ! -e "$root/var/lib/replenish"

echo "package test: $passed passed, $failures failed"
[ "$failures" -eq 0 ]
