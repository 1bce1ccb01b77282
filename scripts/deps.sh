# Sourced by scripts/demo and scripts/test: makes sure the Debian 12 packages the build needs are
# installed. As root it installs what is missing; otherwise it prints the one apt-get line to run.
# Why each package is here: docs/dependencies.md.

UNIREP_PACKAGES=(
  g++ cmake ninja-build pkg-config ccache
  libtorch-dev libopenblas0-openmp libgloo-dev libdnnl-dev
  libavformat-dev libavcodec-dev libavutil-dev libswscale-dev libswresample-dev
  libsndfile1-dev libpcl-dev libeigen3-dev
  libgtest-dev libcli11-dev nlohmann-json3-dev libbenchmark-dev libcairo2-dev zlib1g-dev
  portaudio19-dev  # optional for the build: `unirep listen --mic` (docs/dependencies.md)
)
# The keyword data set is real speech made by two synthesizers.
UNIREP_DATA_PACKAGES=(espeak-ng flite)
# Real time series (Seattle weather, hourly temperatures) for the forecasting demo and tests.
UNIREP_DATA_PACKAGES+=(python3-vega-datasets)
# Real meshes (OFF/PLY: polyhedra, spheres, tori, scans) for the point-cloud tests and demo.
UNIREP_DATA_PACKAGES+=(libcgal-demo)
# Fashion-MNIST (gzipped IDX files) for the image demo and accuracy check; the ffmpeg program makes
# the motion video data set from its own sources and filters.
UNIREP_DATA_PACKAGES+=(dataset-fashion-mnist ffmpeg)
# Tests make audio files in every container with sox and ffmpeg, and compare against PyTorch and
# torchaudio as an independent reference (never used by the SDK itself).
# python3-open3d writes the PCD files the point reader is checked against; python3-pil and
# python3-torchvision compute the official image transform the image preprocessing must equal;
# python3-opencv the video resize (cv2.INTER_LINEAR) of the official video pipeline.
UNIREP_TEST_PACKAGES=(clang-format sox ffmpeg python3-torch python3-torchaudio python3-numpy python3-open3d python3-pil python3-torchvision python3-opencv "${UNIREP_DATA_PACKAGES[@]}")

# Usage: unirep_ensure_packages [extra packages...]
unirep_ensure_packages() {
  local wanted=("${UNIREP_PACKAGES[@]}" "$@") missing=() p
  for p in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$p")
    fi
  done
  ((${#missing[@]} == 0)) && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "unirep needs these Debian packages; install them with:" >&2
    echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "Installing ${#missing[@]} missing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Configures and builds the release preset (build/release) with all cores.
unirep_build() {
  local root
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  cd "$root" || exit 1
  # ccache across fresh clones (CI): paths relative to the checkout, and precompiled headers allowed.
  export CCACHE_BASEDIR="$root"
  export CCACHE_SLOPPINESS="pch_defines,time_macros,include_file_mtime,include_file_ctime"
  cmake --preset release >/dev/null || cmake --preset release
  cmake --build --preset release "$@"
}
