# Native crypto addon (strongroom_crypto.node): digest signing/verification and RSA decryption that Node's
# crypto module does not expose, and a shared mapping of the node's change beacon (native/shared-memory.cc).
# Built by scripts/build-native.ts against the headers of the running Node, and linked against the OpenSSL that
# Node itself exports (no -lcrypto). See docs/crypto.md.
{
  "targets": [
    {
      "target_name": "strongroom_crypto",
      "sources": [
        "native/addon.cc",
        "native/native-key.cc",
        "native/pkey-ops.cc",
        "native/pkey-worker.cc",
        "native/ecdsa-p1363.cc",
        "native/shared-memory.cc"
      ],
      "dependencies": [
        "<!(node -p \"require('node-addon-api').targets\"):node_addon_api"
      ],
      "defines": [
        "NAPI_VERSION=9",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "OPENSSL_API_COMPAT=30000",
        "OPENSSL_NO_DEPRECATED"
      ],
      "cflags_cc": ["-Wall", "-Wextra", "-fvisibility=hidden"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-Wall", "-Wextra", "-fvisibility=hidden"]
      }
    }
  ]
}
