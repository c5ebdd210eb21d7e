# Sourced by scripts/run and scripts/test: installs what a fresh Debian machine lacks, or says what to do.
# Debian packages: GSL (statistics and fits), OpenBLAS (sgemm), LAPACKE (minimum-norm solves), pkg-config.
set -euo pipefail

packages=(libgsl-dev libopenblas-dev liblapacke-dev pkg-config gzip)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "descent setup: installing ${missing[*]}" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "descent setup: missing Debian packages: ${missing[*]}" >&2
        echo "  install them with: sudo apt-get install ${missing[*]}" >&2
        exit 1
    fi
fi
# Optional: the headless browser the report-rendering test uses (it skips, saying so, without it).
if ! command -v chromium-headless-shell >/dev/null; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
        echo "descent setup: installing chromium-headless-shell (report rendering test)" >&2
        apt-get update -qq >/dev/null
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell >/dev/null || echo "descent setup: could not install chromium-headless-shell; the rendering test will skip" >&2
    else
        echo "descent setup: optional: 'sudo apt-get install chromium-headless-shell' lets the tests render report.html" >&2
    fi
fi
if ! command -v swift >/dev/null; then
    echo "descent setup: no Swift toolchain on PATH; install Swift 6 (swift.org) and run this again" >&2
    exit 1
fi

# OpenBLAS reads OPENBLAS_CORETYPE when it loads. The descent binary picks a kernel by itself (and
# re-executes once); test processes load OpenBLAS directly, so set the same choice here, unless the
# machine already sets it.
if [ -z "${OPENBLAS_CORETYPE:-}" ] && [ -r /proc/cpuinfo ]; then
    flags=$(grep -m1 '^flags' /proc/cpuinfo || true)
    if [[ $flags == *avx512f* && $flags == *avx512bw* && $flags == *avx512dq* && $flags == *avx512vl* ]]; then
        export OPENBLAS_CORETYPE=SkylakeX
    elif [[ $flags == *avx2* && $flags == *fma* ]]; then
        export OPENBLAS_CORETYPE=Haswell
    fi
fi
