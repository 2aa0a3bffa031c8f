#!/usr/bin/env bash
# `npm test` runs this first (the `pretest` script): the tests talk to real programs from
# Debian's packages. As root the missing ones are installed; otherwise this stops before any
# test runs and prints the command to run. Exit codes: 0 all present, 1 missing (not root)
# or the install failed.
set -euo pipefail

# Every Debian package a test needs, one per line, with what the tests use it for.
# Add yours here (no apostrophes: this is one single-quoted string).
PACKAGES='
chromium                    # test/e2e: the browser (/usr/bin/chromium)
busybox-static              # telnetd and shells behind the telnet tests
inetutils-telnetd           # a second real telnetd
socat                       # bench reference and raw TCP peers
nginx                       # deploy/nginx configs, run for real
openssl                     # test certificates
openssh-server              # sshd for SSH targets
redis-server                # shared state across instances
ngircd                      # a real IRC server as a line-protocol backend
haproxy                     # PROXY protocol in front of Porthole
tigervnc-standalone-server  # Xvnc behind noVNC
novnc                       # noVNC client (/usr/share/novnc)
x11-utils                   # xev: what reached the X server behind noVNC
websockify                  # the reference noVNC bridge
prometheus                  # promtool checks the /metrics exposition
systemd                     # systemd-analyze verify on deploy/systemd
procps                      # /bin/kill: ExecReload of deploy/systemd (verify checks it exists)
iproute2                    # ss: no socket left in CLOSE-WAIT (test/security-failures G9)
asciinema                   # plays our .cast recordings (test/recording: asciinema cat)
'

# Tests only: where the temporary policy-rc.d goes (invoke-rc.d reads /usr/sbin/policy-rc.d).
POLICY_RC_D="${PORTHOLE_POLICY_RC_D:-/usr/sbin/policy-rc.d}"

wanted() { sed -e 's/#.*//' <<<"$PACKAGES" | tr -s ' \n' '\n' | sed -e '/^$/d'; }

installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing() {
  local p
  for p in $(wanted); do installed "$p" || echo "$p"; done
}

if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "test-deps: not a Debian system (no dpkg-query); the tests need these Debian packages" \
    "or their equivalents:" $(wanted) >&2
  exit 0
fi

need=$(missing | tr '\n' ' ' | sed -e 's/ $//')
[ -z "$need" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "test-deps: the tests need Debian packages that are not installed: $need" >&2
  echo "test-deps: install them, then run npm test again:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y --no-install-recommends $need" >&2
  exit 1
fi

# Package scripts must not start system daemons (nginx, sshd, redis on their default ports):
# policy-rc.d exit 101 tells invoke-rc.d and deb-systemd-invoke "action forbidden".
saved=''
if [ -e "$POLICY_RC_D" ]; then
  saved="$POLICY_RC_D.porthole-saved"
  mv "$POLICY_RC_D" "$saved"
fi
restore() {
  rm -f "$POLICY_RC_D"
  if [ -n "$saved" ]; then mv "$saved" "$POLICY_RC_D"; fi
}
trap restore EXIT
printf '#!/bin/sh\nexit 101\n' >"$POLICY_RC_D"
chmod 755 "$POLICY_RC_D"

echo "test-deps: installing Debian packages: $need" >&2
apt-get update -qq
# shellcheck disable=SC2086 # one word per package
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need

still=$(missing | tr '\n' ' ' | sed -e 's/ $//')
if [ -n "$still" ]; then
  echo "test-deps: still not installed after apt-get: $still" >&2
  exit 1
fi
