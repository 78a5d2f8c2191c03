#!/usr/bin/env bash
# Install Midstance on Raspberry Pi OS Bookworm (Python 3.11) or Trixie (Python 3.13).
# Run as root from the repository: `sudo make install`. Safe to run again (upgrades in place).
#
#   1. apt: picamera2 and lgpio (they come from Raspberry Pi OS, not PyPI), venv tooling
#   2. /opt/midstance: a copy of this repository and a venv with --system-site-packages,
#      so the apt picamera2/libcamera/lgpio are importable next to the pip packages
#   3. the pose model files, fetched once and checked against the pinned SHA-256 sums
#   4. the `midstance` user (video + gpio groups), its directories, /etc/midstance/config.toml
#   5. the systemd units, enabled and started through midstance.target
set -euo pipefail

PREFIX=${PREFIX:-/opt/midstance}
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UNIT_DIR=/etc/systemd/system

say() { printf '\n== %s\n' "$*"; }
die() { printf 'install-pi.sh: error: %s\n' "$*" >&2; exit 1; }
# systemd is running (the check sd_booted() makes); not so in a chroot or an image build, where
# the units are only enabled and start at the next boot
booted() { [[ -d /run/systemd/system ]]; }

[[ $(id -u) -eq 0 ]] || die "run as root (sudo make install)"
[[ -r /etc/os-release ]] || die "/etc/os-release missing: not Raspberry Pi OS / Debian"
. /etc/os-release
case "${VERSION_CODENAME:-}" in
    bookworm|trixie) ;;
    *) die "Raspberry Pi OS Bookworm or Trixie needed, found '${PRETTY_NAME:-unknown}'" ;;
esac
grep -qs "Raspberry Pi" /proc/device-tree/model \
    || echo "warning: this does not look like a Raspberry Pi; continuing anyway" >&2

say "apt packages"
apt-get update
apt-get install -y --no-install-recommends \
    python3 python3-venv python3-pip python3-picamera2 python3-lgpio python3-numpy \
    rsync ca-certificates

say "copy to $PREFIX"
mkdir -p "$PREFIX"
rsync -a --delete --exclude .git --exclude .venv --exclude .venv-ref --exclude 'models/' \
    --exclude node_modules --exclude '__pycache__' "$SRC/" "$PREFIX/"

say "venv in $PREFIX/.venv (with the system's picamera2 and lgpio)"
if [[ ! -x $PREFIX/.venv/bin/python ]]; then
    python3 -m venv --system-site-packages "$PREFIX/.venv"
fi
"$PREFIX/.venv/bin/python" -m pip install --disable-pip-version-check -q --upgrade pip
# The venv keeps apt's numpy (1.24 on Bookworm, 2.2 on Trixie): the Raspberry Pi archive builds
# picamera2's simplejpeg against it, and a numpy of another major version from pip makes
# `import picamera2` fail ("numpy.dtype size changed"). pip then picks the opencv and LiteRT
# wheels that work with it.
numpy_version=$(python3 -c 'import numpy; print(numpy.__version__)') \
    || die "apt's python3-numpy does not import"
echo "numpy==$numpy_version" >"$PREFIX/.venv/constraints.txt"
"$PREFIX/.venv/bin/python" -m pip install --disable-pip-version-check -q \
    -c "$PREFIX/.venv/constraints.txt" "$PREFIX"

say "pose model files in $PREFIX/models"
"$PREFIX/.venv/bin/midstance" models fetch --dir "$PREFIX/models"

say "user, directories, config"
install -D -m 0644 "$SRC/systemd/sysusers.d/midstance.conf" /usr/lib/sysusers.d/midstance.conf
install -D -m 0644 "$SRC/systemd/tmpfiles.d/midstance.conf" /usr/lib/tmpfiles.d/midstance.conf
systemd-sysusers midstance.conf
systemd-tmpfiles --create midstance.conf
if [[ ! -e /etc/midstance/config.toml ]]; then
    install -m 0644 "$SRC/config.example.toml" /etc/midstance/config.toml
    echo "wrote /etc/midstance/config.toml (edit the pins and the camera there)"
fi

say "systemd units"
for unit in midstance.target midstance-sense.service midstance-web.service; do
    install -m 0644 "$SRC/systemd/$unit" "$UNIT_DIR/$unit"
done
booted && systemctl daemon-reload
systemctl enable midstance.target midstance-sense.service midstance-web.service

say "checks"
# doctor opens the camera and the pins itself: a running sense would hold them
if booted; then
    systemctl stop midstance.target midstance-sense.service midstance-web.service 2>/dev/null || true
fi
runuser -u midstance -- "$PREFIX/.venv/bin/midstance" doctor \
    --config /etc/midstance/config.toml --state-dir /var/lib/midstance \
    --run-dir /run/midstance --models-dir "$PREFIX/models" \
    || echo "warning: midstance doctor found problems (see above); fix them, then" \
            "systemctl restart midstance.target" >&2

if [[ -z $(runuser -u midstance -- "$PREFIX/.venv/bin/python" - <<'PY'
import sqlite3, sys
sys.path.insert(0, "/opt/midstance")
from common.store import Store
print("1" if Store.in_dir("/var/lib/midstance").has_pin() else "")
PY
) ]]; then
    echo "no staff PIN yet: sudo -u midstance $PREFIX/.venv/bin/midstance set-pin --state-dir /var/lib/midstance"
fi

if booted; then
    systemctl restart midstance.target
    say "done: the page is on http://$(hostname -I 2>/dev/null | awk '{print $1}'):8080/"
else
    say "done: systemd is not running here; midstance.target starts at the next boot"
fi
