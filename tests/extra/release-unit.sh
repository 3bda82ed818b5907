#!/bin/sh
# The unit tests again in an optimised build without sanitizers: some faults (writes to
# read-only data, uninitialised reads the optimiser exposes) only show there.
set -e
B=${EL_RELEASE_BUILDDIR:-build-release}
cmake -S . -B "$B" -DEL_SANITIZE=OFF -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$B" -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
cd "$B" && ctest -L unit -j "$(nproc 2>/dev/null || echo 2)" --output-on-failure
