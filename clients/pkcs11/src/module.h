/* The module's state: slots, objects, sessions (internal). */
#ifndef SR_MODULE_H
#define SR_MODULE_H
#include "common.h"
#include <stdatomic.h>

typedef struct {
  CK_ATTRIBUTE_TYPE type;
  unsigned char *value;
  CK_ULONG len;
  bool sensitive; /* present but never revealed (private key parts) */
} sr_attr;

typedef struct {
  atomic_int refs;
  sr_key k;
} sr_keyref;

typedef struct sr_object {
  atomic_int refs;
  CK_OBJECT_HANDLE handle;
  CK_OBJECT_CLASS cls;
  bool token;
  CK_SESSION_HANDLE owner; /* session objects: the session that made them */
  sr_attr *attrs;
  size_t nattrs;
  sr_keyref *key;          /* crypto material (public key, name/version for REST); NULL for data objects */
} sr_object;

typedef struct {
  atomic_int refs;
  sr_object **objs;
  size_t n;
} sr_objset;

typedef struct {
  CK_SLOT_ID id;
  sr_slot_config *cfg;
  sr_service *svc;
  sr_mutex *mu;       /* guards objs, session objects, login state */
  sr_objset *objs;    /* token objects: replaced whole on refresh (readers keep their reference) */
  sr_object **sobjs;  /* session objects */
  size_t nsobjs;
  uint64_t refreshed_at;
  uint64_t refresh_tried_at; /* rate-limits refreshes made by C_FindObjectsInit */
  bool refresh_ok;
  bool logged_in;
} sr_slot;

SR_INTERNAL void sr_object_unref(sr_object *o);
SR_INTERNAL void sr_objset_unref(sr_objset *s);
SR_INTERNAL void sr_keyref_unref(sr_keyref *k);
SR_INTERNAL sr_objset *sr_slot_objects(sr_slot *slot); /* a reference; caller unrefs */
SR_INTERNAL sr_object *sr_slot_find_object(sr_slot *slot, CK_OBJECT_HANDLE h); /* a reference or NULL */
/* Fetches the key list and swaps it in. Network; never called from C_FindObjects/C_GetAttributeValue. */
SR_INTERNAL CK_RV sr_slot_refresh(sr_slot *slot, bool generate_certs);
/* Builds the token objects of one key and adds them to the slot's set (after C_GenerateKeyPair). */
SR_INTERNAL CK_RV sr_slot_add_key(sr_slot *slot, sr_key *k, CK_OBJECT_HANDLE *priv, CK_OBJECT_HANDLE *pub, bool generate_certs);
SR_INTERNAL void sr_slot_remove_key(sr_slot *slot, const char *name);
SR_INTERNAL const sr_attr *sr_object_attr(const sr_object *o, CK_ATTRIBUTE_TYPE t);
SR_INTERNAL bool sr_object_bool(const sr_object *o, CK_ATTRIBUTE_TYPE t);
SR_INTERNAL bool sr_object_matches(const sr_object *o, const CK_ATTRIBUTE *tmpl, CK_ULONG n);
SR_INTERNAL CK_RV sr_object_get_attributes(const sr_object *o, CK_ATTRIBUTE *tmpl, CK_ULONG n);
/* A session object from an application template (C_CreateObject). */
SR_INTERNAL CK_RV sr_object_from_template(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE handle, sr_object **out);
/* Template checks shared with the fuzz target. */
SR_INTERNAL CK_RV sr_template_validate(const CK_ATTRIBUTE *tmpl, CK_ULONG n);
SR_INTERNAL bool sr_template_ulong(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE_TYPE t, CK_ULONG *out);
SR_INTERNAL const CK_ATTRIBUTE *sr_template_find(const CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_ATTRIBUTE_TYPE t);

/* Mechanisms (mech.c, from mechanisms.def). */
typedef struct {
  CK_MECHANISM_TYPE mech;
  unsigned op;        /* SR_OP_* */
  const char *jwa;    /* remote algorithm, NULL for local */
  sr_family family;
  sr_hash hash;
  sr_curve curve;
} sr_mech_row;
typedef struct {
  CK_MECHANISM_TYPE mech;
  unsigned op;
  const char *jwa;
  unsigned bits;      /* 0: any AES size */
} sr_aes_row;
SR_INTERNAL const sr_aes_row *sr_mech_aes(CK_MECHANISM_TYPE m, unsigned op, unsigned bits);
SR_INTERNAL const sr_mech_row *sr_mech_remote(CK_MECHANISM_TYPE m, unsigned op, sr_hash hash, sr_curve curve);
SR_INTERNAL bool sr_mech_hashed(CK_MECHANISM_TYPE m, CK_MECHANISM_TYPE *base, sr_hash *hash);
/* The service's RSA-AES key wrap (`enc` of export and BYOK import) for a wrap mechanism and OAEP hash, or NULL. */
SR_INTERNAL const char *sr_mech_wrap_enc(CK_MECHANISM_TYPE m, sr_hash hash);
SR_INTERNAL bool sr_mech_local(CK_MECHANISM_TYPE m, unsigned op);
SR_INTERNAL size_t sr_mech_list(CK_MECHANISM_TYPE *out, size_t max);
SR_INTERNAL CK_RV sr_mech_info(CK_MECHANISM_TYPE m, CK_MECHANISM_INFO *info);
SR_INTERNAL size_t sr_mech_allowed(const sr_key *k, CK_OBJECT_CLASS cls, CK_MECHANISM_TYPE *out, size_t max);
SR_INTERNAL sr_hash sr_hash_from_ckm(CK_MECHANISM_TYPE m);
SR_INTERNAL sr_hash sr_hash_from_mgf(CK_RSA_PKCS_MGF_TYPE g);

#endif
