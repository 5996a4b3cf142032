/*
 * Test driver for C_WrapKey / C_UnwrapKey with CKM_RSA_AES_KEY_WRAP (test/pkcs11/wrap.test.ts). pkcs11js cannot
 * pass CK_RSA_AES_KEY_WRAP_PARAMS (it holds a pointer to the OAEP parameters), so this small program loads the
 * module and runs one command per line of stdin, answering one JSON line each on stdout:
 *
 *   open SLOT                                   → {"session":S}          (a read-write session on slot index SLOT)
 *   find S private|public|secret LABEL          → {"handle":H}           (the latest version's object)
 *   copypub S H S2 LABEL                        → {"handle":H2}          (H's CKA_MODULUS/EXPONENT as a session
 *                                                                          public key in S2, with CKA_LABEL LABEL)
 *   pubkey S HEXN HEXE LABEL                    → {"handle":H}           (an RSA session public key)
 *   wrap S HASH BITS SOURCE WH KH BUFLEN        → {"rv":…,"len":N,"hex":…}  (BUFLEN -1: a NULL buffer)
 *   unwrap S HASH BITS UH HEX TYPE LABEL [VLEN] → {"rv":…,"handle":H}    (TYPE rsa|ec|aes; VLEN: CKA_VALUE_LEN)
 *
 * HASH: sha1|sha256|sha384|sha512 (OAEP and MGF1 hash), or null for no CK_RSA_PKCS_OAEP_PARAMS; SOURCE: - for
 * no OAEP label, else the label. An argument @I is the handle (or session) answered by command I (from 0), #I the
 * hex it answered. argv[1]: the module.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../../../clients/pkcs11/include/cryptoki.h"

#define MAX_COMMANDS 256
static CK_FUNCTION_LIST *p;
static unsigned long answered[MAX_COMMANDS]; /* handle or session of each command */
static char *answered_hex[MAX_COMMANDS];
static size_t ncommands;
static CK_SESSION_HANDLE sessions[16];
static size_t nsessions;

static const char *rv_name(CK_RV rv) {
  static char other[32];
  switch (rv) {
    case CKR_OK: return "CKR_OK";
    case CKR_ARGUMENTS_BAD: return "CKR_ARGUMENTS_BAD";
    case CKR_BUFFER_TOO_SMALL: return "CKR_BUFFER_TOO_SMALL";
    case CKR_DEVICE_ERROR: return "CKR_DEVICE_ERROR";
    case CKR_KEY_HANDLE_INVALID: return "CKR_KEY_HANDLE_INVALID";
    case CKR_KEY_FUNCTION_NOT_PERMITTED: return "CKR_KEY_FUNCTION_NOT_PERMITTED";
    case CKR_KEY_NOT_WRAPPABLE: return "CKR_KEY_NOT_WRAPPABLE";
    case CKR_KEY_UNEXTRACTABLE: return "CKR_KEY_UNEXTRACTABLE";
    case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
    case CKR_MECHANISM_PARAM_INVALID: return "CKR_MECHANISM_PARAM_INVALID";
    case CKR_TEMPLATE_INCOMPLETE: return "CKR_TEMPLATE_INCOMPLETE";
    case CKR_TEMPLATE_INCONSISTENT: return "CKR_TEMPLATE_INCONSISTENT";
    case CKR_UNWRAPPING_KEY_HANDLE_INVALID: return "CKR_UNWRAPPING_KEY_HANDLE_INVALID";
    case CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT: return "CKR_UNWRAPPING_KEY_TYPE_INCONSISTENT";
    case CKR_WRAPPED_KEY_INVALID: return "CKR_WRAPPED_KEY_INVALID";
    case CKR_WRAPPED_KEY_LEN_RANGE: return "CKR_WRAPPED_KEY_LEN_RANGE";
    case CKR_WRAPPING_KEY_HANDLE_INVALID: return "CKR_WRAPPING_KEY_HANDLE_INVALID";
    case CKR_WRAPPING_KEY_SIZE_RANGE: return "CKR_WRAPPING_KEY_SIZE_RANGE";
    case CKR_WRAPPING_KEY_TYPE_INCONSISTENT: return "CKR_WRAPPING_KEY_TYPE_INCONSISTENT";
    case CKR_SESSION_READ_ONLY: return "CKR_SESSION_READ_ONLY";
    default: snprintf(other, sizeof other, "0x%lx", rv); return other;
  }
}

static CK_SESSION_HANDLE session(const char *i) { return sessions[strtoul(i, NULL, 10) % 16]; }

/* @I and #I: what command I answered. */
static char *resolve(char *tok, char *scratch, size_t n) {
  if (tok[0] != '@' && tok[0] != '#') return tok;
  size_t i = strtoul(tok + 1, NULL, 10);
  if (i >= ncommands) return tok;
  if (tok[0] == '#') return answered_hex[i] != NULL ? answered_hex[i] : (char *)"";
  snprintf(scratch, n, "%lu", answered[i]);
  return scratch;
}

static CK_MECHANISM_TYPE hash_of(const char *h, CK_RSA_PKCS_MGF_TYPE *mgf) {
  if (strcmp(h, "sha1") == 0) { *mgf = CKG_MGF1_SHA1; return CKM_SHA_1; }
  if (strcmp(h, "sha256") == 0) { *mgf = CKG_MGF1_SHA256; return CKM_SHA256; }
  if (strcmp(h, "sha384") == 0) { *mgf = CKG_MGF1_SHA384; return CKM_SHA384; }
  *mgf = CKG_MGF1_SHA512;
  return CKM_SHA512;
}

static unsigned char *unhex(const char *s, size_t *n) {
  size_t len = strlen(s) / 2;
  unsigned char *out = malloc(len + 1);
  for (size_t i = 0; out != NULL && i < len; i++) { unsigned v; sscanf(s + 2 * i, "%2x", &v); out[i] = (unsigned char)v; }
  *n = len;
  return out;
}

/* The mechanism with its parameters, which live in *params and *oaep. */
static void mechanism(CK_MECHANISM *m, CK_RSA_AES_KEY_WRAP_PARAMS *params, CK_RSA_PKCS_OAEP_PARAMS *oaep, const char *hash,
                      const char *bits, const char *source) {
  memset(oaep, 0, sizeof *oaep);
  oaep->hashAlg = hash_of(hash, &oaep->mgf);
  oaep->source = CKZ_DATA_SPECIFIED;
  if (strcmp(source, "-") != 0) { oaep->pSourceData = (void *)source; oaep->ulSourceDataLen = strlen(source); }
  params->ulAESKeyBits = strtoul(bits, NULL, 10);
  params->pOAEPParams = strcmp(hash, "null") == 0 ? NULL : oaep;
  m->mechanism = CKM_RSA_AES_KEY_WRAP;
  m->pParameter = params;
  m->ulParameterLen = sizeof *params;
}

static void run(char **t, int n) {
  CK_RV rv;
  if (n == 2 && strcmp(t[0], "open") == 0) {
    CK_SLOT_ID slots[8];
    CK_ULONG ns = 8;
    rv = p->C_GetSlotList(CK_TRUE, slots, &ns);
    CK_ULONG i = strtoul(t[1], NULL, 10);
    if (rv == CKR_OK && i < ns) rv = p->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &sessions[nsessions]);
    if (rv == CKR_OK) { answered[ncommands] = nsessions; printf("{\"session\":%zu}\n", nsessions++); }
    else printf("{\"rv\":\"%s\"}\n", rv_name(rv));
  } else if (n == 4 && strcmp(t[0], "find") == 0) {
    CK_OBJECT_CLASS cls = strcmp(t[2], "private") == 0 ? CKO_PRIVATE_KEY : strcmp(t[2], "public") == 0 ? CKO_PUBLIC_KEY : CKO_SECRET_KEY;
    CK_ATTRIBUTE tmpl[] = { { CKA_CLASS, &cls, sizeof cls }, { CKA_LABEL, t[3], strlen(t[3]) } };
    CK_OBJECT_HANDLE h[4];
    CK_ULONG found = 0;
    rv = p->C_FindObjectsInit(session(t[1]), tmpl, 2);
    if (rv == CKR_OK) rv = p->C_FindObjects(session(t[1]), h, 4, &found);
    p->C_FindObjectsFinal(session(t[1]));
    if (rv == CKR_OK && found == 1) { answered[ncommands] = h[0]; printf("{\"handle\":%lu}\n", h[0]); }
    else printf("{\"rv\":\"%s\",\"found\":%lu}\n", rv_name(rv), found);
  } else if (n == 5 && strcmp(t[0], "copypub") == 0) {
    unsigned char mod[1024], exp[16];
    CK_ATTRIBUTE get[] = { { CKA_MODULUS, mod, sizeof mod }, { CKA_PUBLIC_EXPONENT, exp, sizeof exp } };
    rv = p->C_GetAttributeValue(session(t[1]), strtoul(t[2], NULL, 10), get, 2);
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_KEY_TYPE kt = CKK_RSA;
    CK_BBOOL no = CK_FALSE, yes = CK_TRUE;
    CK_ATTRIBUTE make[] = { { CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt }, { CKA_TOKEN, &no, 1 }, { CKA_WRAP, &yes, 1 },
                            { CKA_LABEL, t[4], strlen(t[4]) }, get[0], get[1] };
    CK_OBJECT_HANDLE h = 0;
    if (rv == CKR_OK) rv = p->C_CreateObject(session(t[3]), make, 7, &h);
    if (rv == CKR_OK) { answered[ncommands] = h; printf("{\"handle\":%lu}\n", h); }
    else printf("{\"rv\":\"%s\"}\n", rv_name(rv));
  } else if (n == 5 && strcmp(t[0], "pubkey") == 0) {
    size_t nl, el;
    unsigned char *mod = unhex(t[2], &nl), *exp = unhex(t[3], &el);
    CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
    CK_KEY_TYPE kt = CKK_RSA;
    CK_BBOOL no = CK_FALSE;
    CK_ATTRIBUTE make[] = { { CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt }, { CKA_TOKEN, &no, 1 },
                            { CKA_LABEL, t[4], strlen(t[4]) }, { CKA_MODULUS, mod, nl }, { CKA_PUBLIC_EXPONENT, exp, el } };
    CK_OBJECT_HANDLE h = 0;
    rv = p->C_CreateObject(session(t[1]), make, 6, &h);
    if (rv == CKR_OK) { answered[ncommands] = h; printf("{\"handle\":%lu}\n", h); }
    else printf("{\"rv\":\"%s\"}\n", rv_name(rv));
    free(mod);
    free(exp);
  } else if (n == 8 && strcmp(t[0], "wrap") == 0) {
    CK_MECHANISM m;
    CK_RSA_AES_KEY_WRAP_PARAMS params;
    CK_RSA_PKCS_OAEP_PARAMS oaep;
    mechanism(&m, &params, &oaep, t[2], t[3], t[4]);
    long buflen = strtol(t[7], NULL, 10);
    unsigned char *buf = buflen >= 0 ? malloc((size_t)buflen + 1) : NULL;
    CK_ULONG len = buflen >= 0 ? (CK_ULONG)buflen : 0;
    rv = p->C_WrapKey(session(t[1]), &m, strtoul(t[5], NULL, 10), strtoul(t[6], NULL, 10), buf, &len);
    char *hex = calloc(1, 2 * (size_t)len + 1);
    for (CK_ULONG i = 0; hex != NULL && rv == CKR_OK && buf != NULL && i < len; i++) sprintf(hex + 2 * i, "%02x", buf[i]);
    printf("{\"rv\":\"%s\",\"len\":%lu,\"hex\":\"%s\"}\n", rv_name(rv), len, hex != NULL ? hex : "");
    answered_hex[ncommands] = hex;
    free(buf);
  } else if ((n == 8 || n == 9) && strcmp(t[0], "unwrap") == 0) {
    CK_MECHANISM m;
    CK_RSA_AES_KEY_WRAP_PARAMS params;
    CK_RSA_PKCS_OAEP_PARAMS oaep;
    mechanism(&m, &params, &oaep, t[2], t[3], "-");
    size_t wl;
    unsigned char *wrapped = unhex(t[5], &wl);
    CK_OBJECT_CLASS cls = strcmp(t[6], "aes") == 0 ? CKO_SECRET_KEY : CKO_PRIVATE_KEY;
    CK_KEY_TYPE kt = strcmp(t[6], "aes") == 0 ? CKK_AES : strcmp(t[6], "rsa") == 0 ? CKK_RSA : CKK_EC;
    CK_BBOOL yes = CK_TRUE;
    CK_ULONG vlen = n == 9 ? strtoul(t[8], NULL, 10) : 0;
    CK_ATTRIBUTE tmpl[6] = { { CKA_CLASS, &cls, sizeof cls }, { CKA_KEY_TYPE, &kt, sizeof kt }, { CKA_LABEL, t[7], strlen(t[7]) } };
    CK_ULONG nt = 3;
    if (kt == CKK_AES) { tmpl[nt++] = (CK_ATTRIBUTE){ CKA_ENCRYPT, &yes, 1 }; tmpl[nt++] = (CK_ATTRIBUTE){ CKA_DECRYPT, &yes, 1 }; }
    else tmpl[nt++] = (CK_ATTRIBUTE){ CKA_SIGN, &yes, 1 };
    if (n == 9) tmpl[nt++] = (CK_ATTRIBUTE){ CKA_VALUE_LEN, &vlen, sizeof vlen };
    CK_OBJECT_HANDLE h = 0;
    rv = p->C_UnwrapKey(session(t[1]), &m, strtoul(t[4], NULL, 10), wrapped, wl, tmpl, nt, &h);
    answered[ncommands] = h;
    printf("{\"rv\":\"%s\",\"handle\":%lu}\n", rv_name(rv), h);
    free(wrapped);
  } else {
    printf("{\"error\":\"bad command %s\"}\n", n > 0 ? t[0] : "");
  }
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: rsa-aes-wrap MODULE < commands\n"); return 2; }
  void *lib = dlopen(argv[1], RTLD_NOW);
  CK_RV (*get)(CK_FUNCTION_LIST **) = lib != NULL ? (CK_RV (*)(CK_FUNCTION_LIST **))dlsym(lib, "C_GetFunctionList") : NULL;
  if (get == NULL || get(&p) != CKR_OK || p->C_Initialize(NULL) != CKR_OK) { fprintf(stderr, "cannot load %s\n", argv[1]); return 1; }
  static char line[1 << 16];
  static char scratch[10][32];
  while (ncommands < MAX_COMMANDS && fgets(line, sizeof line, stdin) != NULL) {
    char *t[10];
    int n = 0;
    for (char *tok = strtok(line, " \t\r\n"); tok != NULL && n < 10; tok = strtok(NULL, " \t\r\n"), n++) t[n] = resolve(tok, scratch[n], sizeof scratch[n]);
    if (n > 0) { run(t, n); ncommands++; }
  }
  for (size_t i = 0; i < ncommands; i++) free(answered_hex[i]);
  for (size_t i = 0; i < nsessions; i++) p->C_CloseSession(sessions[i]);
  p->C_Finalize(NULL);
  dlclose(lib);
  return 0;
}
