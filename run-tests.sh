#!/usr/bin/env bash
# The whole test suite from a fresh clone: installs the Debian packages, configures, builds and
# runs every CTest test (unit, rtl, tshark, ... labels). Extra arguments go to ctest, e.g.
#   ./run-tests.sh -L unit        only the fast unit tests
#   ./run-tests.sh -R Esp         tests whose name matches
set -euo pipefail
cd "$(dirname "$0")"

bash scripts/setup-debian.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build
ctest --test-dir build --output-on-failure --timeout 900 "$@"
