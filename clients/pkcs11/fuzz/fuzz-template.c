/*
 * Fuzz target for what the module parses from outside: PKCS#11 attribute templates (C_CreateObject,
 * C_FindObjectsInit, key generation), JSON answers from the service and the configuration file.
 *
 * With clang: libFuzzer (`FUZZ=1 bash build.sh` builds build/pkcs11/fuzz-template). Without clang the same entry
 * point is driven by a built-in mutator (-DSR_FUZZ_REPLAY): `fuzz-template <iterations> [files...]` runs the
 * files as given, then mutations of them and of built-in seeds, under AddressSanitizer/UBSan.
 *
 * Input layout: byte 0 selects the parser; for templates the rest is a sequence of
 * (type: 4 bytes little-endian, length: 1 byte, value) attributes.
 */
#include "../src/module.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fuzz_template(const uint8_t *data, size_t size) {
  CK_ATTRIBUTE attrs[32];
  unsigned char values[32][256];
  CK_ULONG n = 0;
  size_t i = 0;
  while (i + 5 <= size && n < 32) {
    CK_ATTRIBUTE_TYPE t = (CK_ATTRIBUTE_TYPE)data[i] | (CK_ATTRIBUTE_TYPE)data[i + 1] << 8 | (CK_ATTRIBUTE_TYPE)data[i + 2] << 16 |
                          (CK_ATTRIBUTE_TYPE)data[i + 3] << 24;
    size_t len = data[i + 4];
    i += 5;
    if (len > size - i) len = size - i;
    memcpy(values[n], data + i, len);
    /* Map a few type bytes onto the attributes the module interprets, so the fuzzer reaches them. */
    static const CK_ATTRIBUTE_TYPE interesting[] = { CKA_CLASS, CKA_KEY_TYPE, CKA_TOKEN, CKA_MODULUS, CKA_PUBLIC_EXPONENT,
      CKA_EC_PARAMS, CKA_EC_POINT, CKA_LABEL, CKA_ID, CKA_MODULUS_BITS, CKA_SIGN, CKA_VALUE };
    if ((t >> 24) == 0xAA) t = interesting[(t & 0xff) % (sizeof interesting / sizeof interesting[0])];
    attrs[n].type = t;
    attrs[n].pValue = len > 0 ? values[n] : NULL;
    attrs[n].ulValueLen = len;
    n++;
    i += len;
  }
  sr_object *o = NULL;
  if (sr_object_from_template(attrs, n, 0x800000000001UL, &o) == CKR_OK) {
    CK_ATTRIBUTE out[4] = { { CKA_CLASS, NULL, 0 }, { CKA_MODULUS, NULL, 0 }, { CKA_EC_POINT, NULL, 0 }, { CKA_LABEL, NULL, 0 } };
    sr_object_get_attributes(o, out, 4);
    sr_object_matches(o, attrs, n);
    sr_object_unref(o);
  }
  CK_ULONG ul;
  sr_template_ulong(attrs, n, CKA_CLASS, &ul);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int ready;
  if (!ready) { sr_crypto_init(); ready = 1; }
  if (size == 0) return 0;
  switch (data[0] % 3) {
    case 0: {
      sr_json *j = sr_json_parse((const char *)data + 1, size - 1);
      if (j != NULL) {
        sr_key k;
        if (sr_key_from_bundle(j, &k) == CKR_OK) sr_key_free(&k);
      }
      sr_json_free(j);
      break;
    }
    case 1: {
      sr_config c;
      if (sr_config_parse((const char *)data + 1, size - 1, &c)) sr_config_free(&c);
      break;
    }
    default:
      fuzz_template(data + 1, size - 1);
  }
  return 0;
}

#ifdef SR_FUZZ_REPLAY
static uint64_t rng = 0x9E3779B97F4A7C15ULL;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static const char *const SEEDS[] = {
  "\x00{\"key\":{\"kid\":\"https://h/keys/a/0123456789abcdef0123456789abcdef\",\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"4hopJvBCEzKHZrUQRSX4hWM6iaIMTpD7ZgdOLVmb1uk\",\"y\":\"C-oumtPoFXOzWu2rjXifUcPH97NF7dGJy6BJ_jxgTpo\",\"key_ops\":[\"sign\"]},\"attributes\":{\"enabled\":true}}",
  "\x00{\"key\":{\"kid\":\"https://h/keys/r/0123456789abcdef0123456789abcdef\",\"kty\":\"RSA\",\"n\":\"AQAB\",\"e\":\"AQAB\"},\"a\":[1,2.5e3,-0,true,false,null,\"\\u00e9\\ud83d\\ude00\"]}",
  "\x01{\"url\":\"https://localhost:8443\",\"ca_file\":\"/x\",\"credentials_file\":\"/y\",\"slots\":[{\"key_filter\":\"a\"},{\"url\":\"https://b\"}],\"refresh_interval_seconds\":5}",
  "\x02\xaa\x00\x00\xaa\x08\x02\x00\x00\x00\x00\x00\x00\x00\xaa\x01\x00\xaa\x08\x00\x00\x00\x00\x00\x00\x00\x00\xaa\x05\x00\xaa\x0a\x06\x08\x2a\x86\x48\xce\x3d\x03\x01\x07",
};

static void run(const uint8_t *d, size_t n) { LLVMFuzzerTestOneInput(d, n); }

int main(int argc, char **argv) {
  long iterations = argc > 1 ? atol(argv[1]) : 10000;
  uint8_t buf[4096];
  for (int a = 2; a < argc; a++) {
    size_t len;
    char *text = sr_read_file(argv[a], sizeof buf, &len);
    if (text != NULL) { run((const uint8_t *)text, len); free(text); }
  }
  size_t nseeds = sizeof SEEDS / sizeof SEEDS[0];
  for (long it = 0; it < iterations; it++) {
    const char *seed = SEEDS[next() % nseeds];
    size_t n = strlen(seed) + (seed[0] == 0 ? 1 + strlen(seed + 1) : 0);
    if (seed[0] == 0) n = 1 + strlen(seed + 1);
    if (n > sizeof buf) n = sizeof buf;
    memcpy(buf, seed, n);
    int edits = 1 + (int)(next() % 8);
    for (int e = 0; e < edits; e++) {
      size_t pos = n > 0 ? next() % n : 0;
      switch (next() % 4) {
        case 0: buf[pos] = (uint8_t)next(); break;                        /* flip a byte */
        case 1: if (n > 1) { memmove(buf + pos, buf + pos + 1, n - pos - 1); n--; } break; /* delete */
        case 2: if (n < sizeof buf) { memmove(buf + pos + 1, buf + pos, n - pos); buf[pos] = (uint8_t)next(); n++; } break;
        default: n = pos + 1; break;                                      /* truncate */
      }
    }
    run(buf, n);
  }
  printf("fuzz-template: %ld inputs, no crash\n", iterations);
  return 0;
}
#endif
