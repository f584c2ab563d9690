# Shared by scripts/demo, scripts/test and scripts/fuzz: package installation
# and the meson build. Source it; do not run it.

set -euo pipefail

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Debian 12 packages, by what they are for.
BUILD_PACKAGES="meson ninja-build pkg-config gcc libglib2.0-dev glib-networking
  gobject-introspection libgirepository1.0-dev gir1.2-glib-2.0 python3-gi
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev gstreamer1.0-tools
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gir1.2-gstreamer-1.0"
MEDIA_PACKAGES="gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav"
PEER_PACKAGES="ffmpeg nginx libnginx-mod-rtmp libnginx-mod-stream"
CHECK_PACKAGES="valgrind clang libclang-rt-14-dev gi-docgen"

apt_updated=no

# Installs the named Debian packages that are missing (apt-get update once).
ensure_packages () {
  local missing=() pkg
  for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  [ ${#missing[@]} -eq 0 ] && return 0

  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=sudo
  fi
  echo "==> installing ${missing[*]}"
  if [ "$apt_updated" = no ]; then
    $sudo apt-get update -q
    apt_updated=yes
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# meson_build DIR [meson options...]: configure DIR if needed, then build it.
meson_build () {
  local dir=$1; shift
  if [ -f "$TOP/$dir/build.ninja" ]; then
    meson configure "$TOP/$dir" "$@" >/dev/null
  else
    meson setup "$TOP/$dir" "$TOP" "$@"
  fi
  ninja -C "$TOP/$dir"
}
