#!/usr/bin/env bash
# Builds build/pkcs11/libstrongroom-pkcs11.so with the system compiler and Debian's libssl-dev.
#   SANITIZE=1  AddressSanitizer + UBSan build (build/pkcs11/asan/), for the CI run under sanitizers
#   FUZZ=1      also build the fuzz targets (clang libFuzzer when clang exists, else a corpus replayer)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/build/pkcs11"
cc="${CC:-cc}"
if ! printf '#include <openssl/ssl.h>\n' | "$cc" -E -x c - >/dev/null 2>&1; then
  echo "build:pkcs11: OpenSSL headers not found; install libssl-dev (apt-get install libssl-dev)" >&2
  exit 1
fi
cflags=(-std=c11 -D_GNU_SOURCE -O2 -g -fPIC -fvisibility=hidden -pthread -Wall -Wextra -Werror=implicit-function-declaration
        -Wno-unused-parameter -Wformat=2 -fstack-protector-strong -D_FORTIFY_SOURCE=2)
ldflags=(-shared -Wl,--version-script="$here/strongroom-pkcs11.map" -Wl,-z,nodelete -Wl,-z,relro -Wl,-z,now -Wl,--no-undefined)
if [ "${SANITIZE:-0}" = 1 ]; then
  out="$out/asan"
  cflags=("${cflags[@]/-O2/-O1}" -U_FORTIFY_SOURCE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  ldflags+=(-fsanitize=address,undefined)
fi
mkdir -p "$out"
srcs=("$here"/src/*.c)
# A temporary name of this process's own: test files that build at once must not move each other's output.
tmp="$out/libstrongroom-pkcs11.so.$$.tmp"
"$cc" "${cflags[@]}" "${srcs[@]}" "${ldflags[@]}" -o "$tmp" -lssl -lcrypto -pthread
mv "$tmp" "$out/libstrongroom-pkcs11.so"
if [ "${FUZZ:-0}" = 1 ]; then
  lib_srcs=()
  for src in "$here"/src/*.c; do [ "$(basename "$src")" = p11.c ] || lib_srcs+=("$src"); done
  if command -v clang >/dev/null 2>&1; then
    clang -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined "$here/fuzz/fuzz-template.c" "${lib_srcs[@]}" -o "$out/fuzz-template" -lssl -lcrypto -pthread
  else
    "$cc" -std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -DSR_FUZZ_REPLAY "$here/fuzz/fuzz-template.c" "${lib_srcs[@]}" -o "$out/fuzz-template" -lssl -lcrypto -pthread
  fi
fi
