#!/usr/bin/env bash
# `make check-arm64`: install and run Midstance on emulated arm64 Debian Bookworm and Trixie.
#
# For each release: a Debian arm64 root made by debootstrap (cached in $ARM64_CACHE/<release>,
# made once), copied afresh, then inside it under qemu-user-static:
#   1. `make install` (scripts/install-pi.sh) exactly as on a Pi, with the Raspberry Pi
#      archive's packages Debian lacks (python3-picamera2; python3-lgpio where Debian has none)
#      served as TEST DOUBLES from a local apt repository (scripts/check-arm64-doubles/), and the
#      model files copied in from the host's cache first (nothing is downloaded in the root)
#   2. scripts/check-arm64-inside.py: models verify, pose on the clip's first 90 frames,
#      analyze on the clip's x86 trace, the LED/button tests on gpiozero mock pins, doctor on a
#      machine without a camera, systemd-analyze verify of the installed units
# then scripts/check-arm64-compare.py holds the results against the x86 run and prints a table.
# Root is needed (debootstrap, chroot, mounts). Slow: tens of minutes; not part of `make test`.
#
#   RELEASES="trixie" make check-arm64      # one release only
#   ARM64_CACHE=/elsewhere make check-arm64 # where the pristine roots are kept
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RELEASES=${RELEASES:-bookworm trixie}
CACHE=${ARM64_CACHE:-$HOME/.cache/midstance/arm64}
MODELS=${MIDSTANCE_MODELS_DIR:-$HOME/.cache/midstance/models}
OUT=$SRC/build/arm64
PY=$SRC/.venv/bin/python
MIRROR=http://deb.debian.org/debian
# What a Raspberry Pi OS Lite image has that Debian's minbase lacks and the install relies on
# (systemd as init, make for `make install`); install-pi.sh installs the rest itself.
INCLUDE=systemd,systemd-sysv,make,ca-certificates
HOST_PACKAGES=(debootstrap qemu-user-static binfmt-support apt-utils rsync)
# A clean environment in the root, as root's login has on a Pi; pip told to use the system's
# CA bundle (it holds the host's added CAs, see below)
ROOT_ENV=(HOME=/root LANG=C.UTF-8 TERM=dumb PIP_CERT=/etc/ssl/certs/ca-certificates.crt
          PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)

say() { printf '\n== %s\n' "$*"; }
die() { printf 'check-arm64: error: %s\n' "$*" >&2; exit 2; }

[[ $(id -u) -eq 0 ]] || die "run as root (debootstrap, chroot and mounts need it)"
[[ -x $PY ]] || die "no x86 venv: run \`make venv models\` first"
for release in $RELEASES; do
    [[ $release == bookworm || $release == trixie ]] || die "RELEASES: bookworm or trixie, got '$release'"
done
"$SRC/.venv/bin/midstance" models verify --dir "$MODELS" >/dev/null \
    || die "model files not provisioned in $MODELS (run \`make models\`)"

missing=()
for pkg in "${HOST_PACKAGES[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    say "host packages: ${missing[*]}"
    apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# binfmt_misc lets the kernel run arm64 binaries through qemu-aarch64-static by itself; its
# "F" flag (Debian's default) opens the interpreter now, so it works inside the chroots too.
if [[ ! -e /proc/sys/fs/binfmt_misc/register ]]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || true
fi
update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
[[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]] \
    || die "cannot register qemu-aarch64 with binfmt_misc (a container without it cannot run a whole arm64 root)"

# The x86 reference: the first 90 frames losslessly, their trace, the whole clip's trace and report.
say "x86 reference runs"
mkdir -p "$OUT/x86"
CLIP=$SRC/device/sample/treadmill_side_30fps.mp4
[[ -s $OUT/x86/clip90.mkv ]] || "$PY" "$SRC/scripts/check-arm64-compare.py" clip "$CLIP" "$OUT/x86/clip90.mkv"
"$SRC/.venv/bin/midstance" pose "$OUT/x86/clip90.mkv" --out "$OUT/x86/clip90.trace.jsonl" --models-dir "$MODELS"
"$PY" "$SRC/scripts/check-arm64-compare.py" frames "$OUT/x86/clip90.mkv" "$OUT/x86/clip90.rgb.npy"
"$PY" "$SRC/scripts/check-arm64-compare.py" pose-frames "$OUT/x86/clip90.rgb.npy" \
    "$OUT/x86/clip90.pixels.trace.jsonl" --models-dir "$MODELS"
"$SRC/.venv/bin/midstance" pose "$CLIP" --out "$OUT/x86/clip.trace.jsonl" --models-dir "$MODELS"
"$SRC/.venv/bin/midstance" analyze "$OUT/x86/clip.trace.jsonl" --json "$OUT/x86/clip.report.json" >/dev/null

say "test doubles for the Raspberry Pi archive's packages"
repo=$OUT/doubles
rm -rf "$repo" && mkdir -p "$repo"
for dir in "$SRC"/scripts/check-arm64-doubles/*/; do
    dpkg-deb --root-owner-group --build "$dir" "$repo/" >/dev/null
done
(cd "$repo" && apt-ftparchive packages . >Packages)
ls "$repo"/*.deb

mounted=()
cleanup() {
    local m
    for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
        m=${mounted[i]}
        umount -l "$m" 2>/dev/null || true
    done
    mounted=()
}
trap cleanup EXIT
bind() { mount --bind "$1" "$2" && mounted+=("$2"); }

rows=()
for release in $RELEASES; do
    started=$SECONDS
    pristine=$CACHE/$release
    stamp="debootstrap --arch=arm64 --variant=minbase --include=$INCLUDE $release"
    if [[ $(cat "$pristine/.midstance-arm64-root" 2>/dev/null) != "$stamp" ]]; then
        say "$release: a new arm64 root ($stamp), once"
        rm -rf "$pristine" "$pristine.tmp"
        mkdir -p "$CACHE"
        debootstrap --arch=arm64 --variant=minbase --include="$INCLUDE" \
            "$release" "$pristine.tmp" "$MIRROR" >"$CACHE/$release.debootstrap.log" 2>&1 \
            || die "debootstrap $release failed (see $CACHE/$release.debootstrap.log)"
        echo "$stamp" >"$pristine.tmp/.midstance-arm64-root"
        mv "$pristine.tmp" "$pristine"
    fi

    say "$release: a fresh copy of the root"
    root=$CACHE/$release.run
    rm -rf "$root"
    cp -a "$pristine" "$root"
    work=$root/root/arm64-check
    results=$OUT/$release
    rm -rf "$results" && mkdir -p "$work" "$results"

    chroot "$root" /bin/true || die "$release: cannot run arm64 binaries in $root"
    mkdir -p "$root/root/.cache/pip" "$CACHE/pip-$release"
    # no /sys: under qemu-user it describes the x86 host's CPUs, and LiteRT's CPU probing
    # (cpuinfo) then crashes the arm64 process as it loads a model; on a Pi it describes the Pi
    bind /proc "$root/proc"
    bind /dev "$root/dev"
    bind /dev/pts "$root/dev/pts"
    # pip's wheel cache outlives the copy, so a second run downloads nothing again
    bind "$CACHE/pip-$release" "$root/root/.cache/pip"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    # the host's own added CA certificates (here a TLS-inspecting proxy's), so pip in the root
    # reaches PyPI as the host's pip does
    if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
        cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
        chroot "$root" /usr/sbin/update-ca-certificates >/dev/null
    fi
    # services are not started in a chroot (systemctl says so and goes on)
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d" && chmod 755 "$root/usr/sbin/policy-rc.d"

    # the checkout, as it would be cloned on the Pi (tracked files only, as committed or edited)
    mkdir -p "$root/root/midstance"
    (cd "$SRC" && git ls-files -z --cached --others --exclude-standard \
        | rsync -a --from0 --files-from=- ./ "$root/root/midstance/")
    # the test doubles, offered by apt like the Raspberry Pi archive
    mkdir -p "$root/var/local/midstance-test-doubles"
    cp "$repo"/* "$root/var/local/midstance-test-doubles/"
    echo "deb [trusted=yes] file:/var/local/midstance-test-doubles ./" \
        >"$root/etc/apt/sources.list.d/midstance-test-doubles.list"
    # the models from the host's cache, where the installer keeps them: its fetch finds them verified
    mkdir -p "$root/opt/midstance/models"
    cp "$MODELS"/*.tflite "$root/opt/midstance/models/"
    cp "$OUT/x86/clip90.mkv" "$OUT/x86/clip90.rgb.npy" "$OUT/x86/clip.trace.jsonl" \
        "$SRC/scripts/check-arm64-inside.py" "$SRC/scripts/check-arm64-compare.py" "$work/"

    say "$release: make install (scripts/install-pi.sh) under emulation"
    t0=$SECONDS
    set +e
    chroot "$root" /usr/bin/env -i "${ROOT_ENV[@]}" make -C /root/midstance install 2>&1 | tee "$results/install.log"
    install_rc=${PIPESTATUS[0]}
    set -e
    install_s=$((SECONDS - t0))
    problems=()
    ((install_rc == 0)) || problems+=("make install: exit $install_rc")
    grep -q "models: all .* files present and verified" "$results/install.log" \
        || problems+=("make install: the models were not found already verified (a download was tried)")
    "$PY" -c 'import json, sys; print(json.dumps({"rc": int(sys.argv[1]), "seconds": int(sys.argv[2]), "problems": sys.argv[3:]}))' \
        "$install_rc" "$install_s" "${problems[@]}" >"$work/install.json"

    say "$release: checks inside the root"
    set +e
    chroot "$root" /usr/bin/env -i "${ROOT_ENV[@]}" /opt/midstance/.venv/bin/python /root/arm64-check/check-arm64-inside.py /root/arm64-check
    set -e
    cleanup
    rsync -a --exclude '*.npy' --exclude '*.mkv' "$work/" "$results/"
    if [[ ! -s $results/result.json ]]; then
        # the install failed before a venv existed: a row that says so
        "$PY" -c 'import json, sys; print(json.dumps({"release": sys.argv[1], "python": "?", "numpy": "?", "numpy_from": "?", "runtime": "?", "problems": json.load(open(sys.argv[2]))["problems"] or ["no result"]}))' \
            "$release" "$work/install.json" >"$results/result.json"
    fi
    "$PY" "$SRC/scripts/check-arm64-compare.py" compare "$OUT/x86" "$results" \
        --seconds $((SECONDS - started)) --out "$results/row.json" || true
    rows+=("$results/row.json")
done

say "arm64 (emulated) against x86"
"$PY" "$SRC/scripts/check-arm64-compare.py" table "${rows[@]}" | tee "$OUT/table.md"
