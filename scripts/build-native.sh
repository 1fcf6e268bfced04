#!/bin/sh
# The native parts, both optional (without them opendoor is slower, not different):
#   dist/native/opendoor-sweep  the port sweep's epoll loop (native/sweep.c)
#   dist/native/quickack.node   TCP_QUICKACK for DICOM exchanges (native/quickack.c, Node-API)
set -u
mkdir -p dist/native
if [ "${OPENDOOR_NATIVE:-1}" = 0 ]; then
  echo "opendoor: OPENDOOR_NATIVE=0: native parts not built (JavaScript sweep, no quick ACK)" >&2
  exit 0
fi
if ! command -v cc >/dev/null 2>&1; then
  echo "opendoor: no C compiler (cc): the port sweep runs in JavaScript (about half the speed)" >&2
  exit 0
fi
cc -O2 -Wall -Wextra -std=c11 -o dist/native/opendoor-sweep native/sweep.c ||
  echo "opendoor: native/sweep.c did not build: the port sweep runs in JavaScript" >&2
inc="$(node -p "require('node:path').resolve(process.execPath, '../../include/node')")"
if [ -f "$inc/node_api.h" ]; then
  cc -O2 -Wall -Wextra -std=c11 -shared -fPIC -I"$inc" -o dist/native/quickack.node native/quickack.c ||
    echo "opendoor: native/quickack.c did not build: DICOM exchanges may wait on delayed ACKs" >&2
else
  echo "opendoor: no Node headers at $inc: DICOM exchanges may wait on delayed ACKs" >&2
fi
