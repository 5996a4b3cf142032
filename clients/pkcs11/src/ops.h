/* Per-session operation state and the crypto helpers of ops.c. */
#ifndef SR_OPS_H
#define SR_OPS_H
#include "module.h"

typedef struct evp_md_ctx_st sr_md_ctx;

typedef struct {
  bool active;
  bool multipart;          /* an Update was made: only Final may finish it */
  CK_MECHANISM_TYPE mech, base;
  sr_hash lhash;           /* hashed in the module (hash-and-sign, digest) */
  sr_hash row_hash;        /* the digest the service expects */
  sr_hash pss_hash;        /* PSS / OAEP hash */
  const char *jwa;
  size_t sig_len;          /* output length: signature, ciphertext, digest */
  sr_object *obj;
  sr_md_ctx *md;
  sr_buf data;             /* raw multi-part input */
  bool aes;                /* AES: both directions remote */
  sr_buf iv, aad;          /* AES-CBC IV; AES-GCM IV and additional data */
  bool have_result;        /* decrypt: the plaintext kept between a length query and the real call */
  sr_buf result;
} sr_op;

SR_INTERNAL void sr_op_reset(sr_op *op);
SR_INTERNAL CK_RV sr_op_plan_signature(sr_op *op, const CK_MECHANISM *mech, const sr_key *k);
SR_INTERNAL CK_RV sr_op_plan_cipher(sr_op *op, const CK_MECHANISM *mech, const sr_key *k, bool decrypt);
/* AES output length for `n` input bytes (encrypt), 0 when `n` does not fit the mechanism. */
SR_INTERNAL size_t sr_op_aes_encrypted_len(const sr_op *op, size_t n);
/* Whether `n` ciphertext bytes fit the mechanism. */
SR_INTERNAL bool sr_op_aes_ciphertext_ok(const sr_op *op, size_t n);
SR_INTERNAL CK_RV sr_op_aes_remote(sr_op *op, sr_service *svc, bool encrypt, const unsigned char *in, size_t n, sr_buf *out);
/* Multi-part AES (C_EncryptUpdate/C_DecryptUpdate): CKM_AES_CBC and CKM_AES_CBC_PAD only. The service has no
 * streaming API, so the parts are buffered in the session (at most SR_AES_MULTIPART_MAX bytes) and sent at Final. */
#define SR_AES_MULTIPART_MAX (1024u * 1024u)
SR_INTERNAL bool sr_op_aes_multipart(const sr_op *op);
SR_INTERNAL CK_RV sr_op_aes_buffer(sr_op *op, const unsigned char *p, size_t n, bool decrypt);
/* AES through the service for any input length: CBC(-PAD) longer than one request can carry is sent as chained
 * CBC chunks; every other mechanism is one call (sr_op_aes_remote). */
SR_INTERNAL CK_RV sr_op_aes_cipher(sr_op *op, sr_service *svc, bool encrypt, const unsigned char *in, size_t n, sr_buf *out);
SR_INTERNAL CK_RV sr_op_plan_digest(sr_op *op, const CK_MECHANISM *mech);
SR_INTERNAL CK_RV sr_op_update(sr_op *op, const unsigned char *p, size_t n);
SR_INTERNAL CK_RV sr_op_message(sr_op *op, unsigned char *buf, size_t *len);
SR_INTERNAL CK_RV sr_op_sign_remote(sr_op *op, sr_service *svc, const unsigned char *msg, size_t n, unsigned char *sig);
SR_INTERNAL CK_RV sr_op_verify_local(sr_op *op, const unsigned char *msg, size_t n, const unsigned char *sig, size_t siglen);
SR_INTERNAL CK_RV sr_op_encrypt_local(sr_op *op, const unsigned char *in, size_t n, unsigned char *out, size_t *outlen);
#endif
