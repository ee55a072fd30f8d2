#!/usr/bin/env bash
# Install xueshi as a systemd service: binary and plugins under /usr/local,
# policies in /etc/xueshi/rules, data in /var/lib/xueshi (owned by the
# dedicated user xueshi, mode 0700). Run as root after contrib/setup.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
contrib/setup.sh   # installs what is missing, (re)builds build/
cmake --install build --prefix /usr/local >/dev/null
id xueshi >/dev/null 2>&1 || useradd --system --home-dir /var/lib/xueshi --shell /usr/sbin/nologin xueshi
install -d -o xueshi -g xueshi -m 0700 /var/lib/xueshi
install -d -m 0755 /etc/xueshi
[ -d /etc/xueshi/rules ] || cp -r /usr/local/share/xueshi/rules /etc/xueshi/rules
[ -f /etc/xueshi/xueshi.conf ] || install -m 0644 contrib/xueshi.conf /etc/xueshi/xueshi.conf
install -m 0644 contrib/xueshi.service /etc/systemd/system/xueshi.service
/usr/local/bin/xueshi rules check /etc/xueshi/rules
if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now xueshi
  systemctl --no-pager status xueshi | head -5
else
  echo "install: systemd is not running here; start with: systemctl enable --now xueshi"
fi
