/*
 * The PKCS#11 entry points: initialisation (with fork handling), slots and tokens, sessions, objects, and the
 * operations. Private-key halves go to Strongroom over REST; public-key halves and hashing run here.
 */
#include "ops.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define EXPORT __attribute__((visibility("default")))
#define MAX_SESSIONS 4096

typedef struct {
  CK_SESSION_HANDLE handle;
  size_t slot;
  CK_FLAGS flags;
  atomic_int refs;
  sr_mutex *mu;            /* one operation at a time per session */
  CK_OBJECT_HANDLE *found; /* C_FindObjects* state */
  size_t nfound, pos;
  bool finding;
  sr_op sign, verify, decrypt, encrypt, digest;
  /* C_WrapKey: the wrapped key of a length query or a short buffer, for the call that follows with the same key,
   * wrapping key and wrap (the service is asked once; a different call drops it). */
  struct { bool have; CK_OBJECT_HANDLE key, wrapping; const char *enc; sr_buf out; } wrapped;
} sr_session;

static struct {
  atomic_bool initialized;
  pid_t pid;
  sr_config cfg;
  sr_slot *slots;
  size_t nslots;
  sr_mutex *mu; /* sessions table */
  sr_session **sessions;
  size_t nsessions;
  CK_SESSION_HANDLE next_session;
  atomic_ulong next_object;
  bool threads_ok;
  /* refresher thread (pthread primitives: it is the module's own thread) */
  pthread_t thread;
  bool thread_running;
  pid_t thread_pid;
  pthread_mutex_t tmu;
  pthread_cond_t tcond;
  bool stop;
} g = { .tmu = PTHREAD_MUTEX_INITIALIZER, .tcond = PTHREAD_COND_INITIALIZER };

static pthread_mutex_t init_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

#define CHECK_INIT() do { if (!atomic_load(&g.initialized)) return CKR_CRYPTOKI_NOT_INITIALIZED; } while (0)

/* ---- fork ---- */

/* In the child only the forking thread exists: every lock another thread held stays held, and the idle TLS
 * connections are the parent's. Give the child fresh locks and no connections; objects and sessions stay, so a
 * child that carries on without C_Initialize still works, and one that calls C_Initialize starts afresh. */
static void atfork_child(void) {
  sr_http_fork_child();
  sr_log_fork_child();
  pthread_mutex_init(&init_mu, NULL);
  pthread_mutex_init(&g.tmu, NULL);
  pthread_cond_init(&g.tcond, NULL);
  g.thread_running = false;
  if (!atomic_load(&g.initialized)) return;
  sr_mutex_reset(g.mu);
  for (size_t i = 0; i < g.nslots; i++) {
    sr_mutex_reset(g.slots[i].mu);
    sr_service_abandon(g.slots[i].svc);
  }
  for (size_t i = 0; i < g.nsessions; i++) sr_mutex_reset(g.sessions[i]->mu);
}

static void register_atfork(void) { pthread_atfork(sr_http_fork_prepare, sr_http_fork_parent, atfork_child); }

/* ---- refresher ---- */
static void *refresher(void *arg) {
  (void)arg;
  pthread_mutex_lock(&g.tmu);
  while (!g.stop) {
    bool all_ok = true;
    for (size_t i = 0; i < g.nslots; i++) all_ok = all_ok && g.slots[i].refresh_ok;
    /* Until a first listing succeeded, try again every few seconds. */
    unsigned wait_s = all_ok ? g.cfg.refresh_interval_seconds : (g.cfg.refresh_interval_seconds < 5 ? g.cfg.refresh_interval_seconds : 5);
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += wait_s;
    while (!g.stop && pthread_cond_timedwait(&g.tcond, &g.tmu, &until) != ETIMEDOUT) {}
    if (g.stop) break;
    pthread_mutex_unlock(&g.tmu);
    for (size_t i = 0; i < g.nslots; i++) sr_slot_refresh(&g.slots[i], g.cfg.generate_certs);
    pthread_mutex_lock(&g.tmu);
  }
  pthread_mutex_unlock(&g.tmu);
  return NULL;
}

static void start_refresher(void) {
  if (!g.threads_ok) return;
  g.stop = false;
  if (pthread_create(&g.thread, NULL, refresher, NULL) == 0) { g.thread_running = true; g.thread_pid = getpid(); }
}

static void stop_refresher(void) {
  if (!g.thread_running || g.thread_pid != getpid()) { g.thread_running = false; return; }
  pthread_mutex_lock(&g.tmu);
  g.stop = true;
  pthread_cond_broadcast(&g.tcond);
  pthread_mutex_unlock(&g.tmu);
  pthread_join(g.thread, NULL);
  g.thread_running = false;
}

/* Without a refresher in this process (no threads allowed, or a forked child that did not re-initialise), the
 * list is refreshed when a search starts on a stale list. */
static void refresh_if_stale(sr_slot *slot) {
  if (g.thread_running && g.thread_pid == getpid()) return;
  uint64_t now = sr_now_ms(), interval = (uint64_t)g.cfg.refresh_interval_seconds * 1000u;
  sr_lock(slot->mu);
  bool due = (!slot->refresh_ok || now - slot->refreshed_at >= interval) && now - slot->refresh_tried_at >= 5000;
  if (due) slot->refresh_tried_at = now; /* a service that is down is asked at most every 5 s */
  sr_unlock(slot->mu);
  if (due) sr_slot_refresh(slot, g.cfg.generate_certs);
}

/* ---- initialise / finalise ---- */
static void free_session(sr_session *s);

/* What a forked child drops of its parent's state: kept reachable here, never freed (see C_Initialize). */
static struct { sr_config cfg; sr_slot *slots; sr_session **sessions; sr_mutex *mu; } abandoned[4];
static size_t nabandoned;

static void release_state(bool orderly) {
  if (!orderly) {
    size_t i = nabandoned < 4 ? nabandoned++ : 3;
    abandoned[i].cfg = g.cfg; abandoned[i].slots = g.slots; abandoned[i].sessions = g.sessions; abandoned[i].mu = g.mu;
    memset(&g.cfg, 0, sizeof g.cfg); g.slots = NULL; g.nslots = 0; g.sessions = NULL; g.nsessions = 0; g.mu = NULL;
    return;
  }
  for (size_t i = 0; i < g.nsessions; i++) free_session(g.sessions[i]);
  free(g.sessions);
  g.sessions = NULL;
  g.nsessions = 0;
  for (size_t i = 0; i < g.nslots; i++) {
    sr_slot *s = &g.slots[i];
    sr_objset_unref(s->objs);
    for (size_t j = 0; j < s->nsobjs; j++) sr_object_unref(s->sobjs[j]);
    free(s->sobjs);
    sr_service_free(s->svc);
    sr_mutex_free(s->mu);
  }
  free(g.slots);
  g.slots = NULL;
  g.nslots = 0;
  sr_mutex_free(g.mu);
  g.mu = NULL;
  sr_config_free(&g.cfg);
  sr_crypto_free();
  sr_log_close();
}

static CK_RV parse_init_args(CK_VOID_PTR pInitArgs, const char **config_path) {
  *config_path = getenv("STRONGROOM_PKCS11_CONFIG");
  g.threads_ok = true;
  sr_locks_use(NULL);
  if (pInitArgs == NULL) return CKR_OK;
  CK_C_INITIALIZE_ARGS *a = pInitArgs;
  bool some = a->CreateMutex != NULL || a->DestroyMutex != NULL || a->LockMutex != NULL || a->UnlockMutex != NULL;
  bool all = a->CreateMutex != NULL && a->DestroyMutex != NULL && a->LockMutex != NULL && a->UnlockMutex != NULL;
  if (some && !all) return CKR_ARGUMENTS_BAD;
  /* PKCS#11 5.4: with OS locking allowed we use pthreads even if callbacks are given; callbacks alone are used. */
  if (all && !(a->flags & CKF_OS_LOCKING_OK)) sr_locks_use(a);
  if (a->flags & CKF_LIBRARY_CANT_CREATE_OS_THREADS) g.threads_ok = false;
  /* Not standard (NSS does the same): pReserved may name the configuration file. */
  if (a->pReserved != NULL) *config_path = a->pReserved;
  return CKR_OK;
}

EXPORT CK_RV C_Initialize(CK_VOID_PTR pInitArgs) {
  pthread_once(&atfork_once, register_atfork);
  pthread_mutex_lock(&init_mu);
  if (atomic_load(&g.initialized)) {
    if (g.pid == getpid()) { pthread_mutex_unlock(&init_mu); return CKR_CRYPTOKI_ALREADY_INITIALIZED; }
    /* A forked child initialising again: drop (leak, never free) the parent's state; a parent thread may have
     * been changing it at the moment of fork. */
    atomic_store(&g.initialized, false);
    release_state(false);
  }
  const char *path;
  CK_RV rv = parse_init_args(pInitArgs, &path);
  if (rv == CKR_OK && (path == NULL || path[0] == '\0')) rv = CKR_ARGUMENTS_BAD;
  if (rv != CKR_OK) { pthread_mutex_unlock(&init_mu); return rv; }
  if (!sr_crypto_init()) { pthread_mutex_unlock(&init_mu); return CKR_HOST_MEMORY; }
  if (!sr_config_load(path, &g.cfg)) {
    /* The reason is in the log (or on stderr with STRONGROOM_PKCS11_DEBUG). */
    fprintf(stderr, "strongroom-pkcs11: cannot use configuration %s\n", path);
    sr_crypto_free();
    pthread_mutex_unlock(&init_mu);
    return CKR_ARGUMENTS_BAD;
  }
  sr_log_open(g.cfg.log_file);
  g.pid = getpid();
  g.mu = sr_mutex_new();
  g.slots = calloc(g.cfg.nslots, sizeof *g.slots);
  rv = g.mu != NULL && g.slots != NULL ? CKR_OK : CKR_HOST_MEMORY;
  for (size_t i = 0; rv == CKR_OK && i < g.cfg.nslots; i++) {
    sr_slot *s = &g.slots[i];
    s->id = i;
    s->cfg = &g.cfg.slots[i];
    s->mu = sr_mutex_new();
    s->svc = sr_service_new(s->cfg, g.cfg.timeout_seconds);
    g.nslots = i + 1;
    if (s->mu == NULL || s->svc == NULL) rv = CKR_ARGUMENTS_BAD; /* unreadable credentials or CA: logged */
  }
  if (rv != CKR_OK) {
    release_state(true);
    pthread_mutex_unlock(&init_mu);
    return rv;
  }
  g.next_session = 1;
  atomic_store(&g.next_object, 1);
  /* The first listing, so objects are there at once; a service that is down leaves the slot empty until the
   * refresher gets an answer (the call still succeeds: applications start before their key service does). */
  for (size_t i = 0; i < g.nslots; i++) sr_slot_refresh(&g.slots[i], g.cfg.generate_certs);
  start_refresher();
  atomic_store(&g.initialized, true);
  sr_log("initialised: %zu slot(s)", g.nslots);
  pthread_mutex_unlock(&init_mu);
  return CKR_OK;
}

EXPORT CK_RV C_Finalize(CK_VOID_PTR pReserved) {
  if (pReserved != NULL) return CKR_ARGUMENTS_BAD;
  pthread_mutex_lock(&init_mu);
  if (!atomic_load(&g.initialized)) { pthread_mutex_unlock(&init_mu); return CKR_CRYPTOKI_NOT_INITIALIZED; }
  atomic_store(&g.initialized, false);
  if (g.pid != getpid()) {
    /* A forked child finalising the parent's state: the parent's threads do not exist here. */
    g.thread_running = false;
    release_state(false);
  } else {
    stop_refresher();
    release_state(true);
  }
  pthread_mutex_unlock(&init_mu);
  return CKR_OK;
}

static void pad(CK_UTF8CHAR *dst, size_t n, const char *src) {
  memset(dst, ' ', n);
  size_t l = strlen(src);
  memcpy(dst, src, l < n ? l : n);
}

EXPORT CK_RV C_GetInfo(CK_INFO_PTR pInfo) {
  CHECK_INIT();
  if (pInfo == NULL) return CKR_ARGUMENTS_BAD;
  memset(pInfo, 0, sizeof *pInfo);
  pInfo->cryptokiVersion = (CK_VERSION){ 3, 0 };
  pad(pInfo->manufacturerID, 32, "Strongroom");
  pad(pInfo->libraryDescription, 32, "Strongroom PKCS#11 (REST)");
  pInfo->libraryVersion = (CK_VERSION){ 0, 1 };
  return CKR_OK;
}

/* ---- slots and tokens ---- */
static sr_slot *slot_of(CK_SLOT_ID id) { return id < g.nslots ? &g.slots[id] : NULL; }

EXPORT CK_RV C_GetSlotList(CK_BBOOL tokenPresent, CK_SLOT_ID_PTR pSlotList, CK_ULONG_PTR pulCount) {
  (void)tokenPresent; /* every slot holds its token */
  CHECK_INIT();
  if (pulCount == NULL) return CKR_ARGUMENTS_BAD;
  if (pSlotList == NULL) { *pulCount = g.nslots; return CKR_OK; }
  if (*pulCount < g.nslots) { *pulCount = g.nslots; return CKR_BUFFER_TOO_SMALL; }
  for (size_t i = 0; i < g.nslots; i++) pSlotList[i] = i;
  *pulCount = g.nslots;
  return CKR_OK;
}

EXPORT CK_RV C_GetSlotInfo(CK_SLOT_ID slotID, CK_SLOT_INFO_PTR pInfo) {
  CHECK_INIT();
  sr_slot *s = slot_of(slotID);
  if (s == NULL) return CKR_SLOT_ID_INVALID;
  if (pInfo == NULL) return CKR_ARGUMENTS_BAD;
  memset(pInfo, 0, sizeof *pInfo);
  char desc[128];
  snprintf(desc, sizeof desc, "Strongroom %s", s->cfg->url);
  pad(pInfo->slotDescription, 64, desc);
  pad(pInfo->manufacturerID, 32, "Strongroom");
  pInfo->flags = CKF_TOKEN_PRESENT | CKF_HW_SLOT;
  pInfo->hardwareVersion = pInfo->firmwareVersion = (CK_VERSION){ 0, 1 };
  return CKR_OK;
}

static void count_sessions(size_t slot, CK_ULONG *all, CK_ULONG *rw) {
  *all = *rw = 0;
  sr_lock(g.mu);
  for (size_t i = 0; i < g.nsessions; i++) {
    if (g.sessions[i]->slot != slot) continue;
    (*all)++;
    if (g.sessions[i]->flags & CKF_RW_SESSION) (*rw)++;
  }
  sr_unlock(g.mu);
}

EXPORT CK_RV C_GetTokenInfo(CK_SLOT_ID slotID, CK_TOKEN_INFO_PTR pInfo) {
  CHECK_INIT();
  sr_slot *s = slot_of(slotID);
  if (s == NULL) return CKR_SLOT_ID_INVALID;
  if (pInfo == NULL) return CKR_ARGUMENTS_BAD;
  memset(pInfo, 0, sizeof *pInfo);
  pad(pInfo->label, 32, s->cfg->label);
  pad(pInfo->manufacturerID, 32, "Strongroom");
  pad(pInfo->model, 16, "REST key service");
  char serial[17];
  snprintf(serial, sizeof serial, "%016lx", slotID);
  memcpy(pInfo->serialNumber, serial, 16);
  /* No CKF_LOGIN_REQUIRED: the service authenticates the module; a PIN is accepted and ignored. */
  pInfo->flags = CKF_RNG | CKF_TOKEN_INITIALIZED | CKF_USER_PIN_INITIALIZED;
  pInfo->ulMaxSessionCount = pInfo->ulMaxRwSessionCount = MAX_SESSIONS;
  count_sessions(slotID, &pInfo->ulSessionCount, &pInfo->ulRwSessionCount);
  pInfo->ulMaxPinLen = 256;
  pInfo->ulMinPinLen = 0;
  pInfo->ulTotalPublicMemory = pInfo->ulFreePublicMemory = CK_UNAVAILABLE_INFORMATION;
  pInfo->ulTotalPrivateMemory = pInfo->ulFreePrivateMemory = CK_UNAVAILABLE_INFORMATION;
  pInfo->hardwareVersion = pInfo->firmwareVersion = (CK_VERSION){ 0, 1 };
  memset(pInfo->utcTime, ' ', 16);
  return CKR_OK;
}

EXPORT CK_RV C_GetMechanismList(CK_SLOT_ID slotID, CK_MECHANISM_TYPE_PTR pMechanismList, CK_ULONG_PTR pulCount) {
  CHECK_INIT();
  if (slot_of(slotID) == NULL) return CKR_SLOT_ID_INVALID;
  if (pulCount == NULL) return CKR_ARGUMENTS_BAD;
  CK_MECHANISM_TYPE all[64];
  size_t n = sr_mech_list(all, 64);
  if (pMechanismList == NULL) { *pulCount = n; return CKR_OK; }
  if (*pulCount < n) { *pulCount = n; return CKR_BUFFER_TOO_SMALL; }
  memcpy(pMechanismList, all, n * sizeof all[0]);
  *pulCount = n;
  return CKR_OK;
}

EXPORT CK_RV C_GetMechanismInfo(CK_SLOT_ID slotID, CK_MECHANISM_TYPE type, CK_MECHANISM_INFO_PTR pInfo) {
  CHECK_INIT();
  if (slot_of(slotID) == NULL) return CKR_SLOT_ID_INVALID;
  if (pInfo == NULL) return CKR_ARGUMENTS_BAD;
  return sr_mech_info(type, pInfo);
}

EXPORT CK_RV C_InitToken(CK_SLOT_ID slotID, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen, CK_UTF8CHAR_PTR pLabel) {
  (void)pPin; (void)ulPinLen; (void)pLabel;
  CHECK_INIT();
  if (slot_of(slotID) == NULL) return CKR_SLOT_ID_INVALID;
  return CKR_FUNCTION_NOT_SUPPORTED; /* the token is the service: it is never re-initialised from here */
}

EXPORT CK_RV C_InitPIN(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR p, CK_ULONG n) { (void)h; (void)p; (void)n; CHECK_INIT(); return CKR_FUNCTION_NOT_SUPPORTED; }
EXPORT CK_RV C_SetPIN(CK_SESSION_HANDLE h, CK_UTF8CHAR_PTR o, CK_ULONG ol, CK_UTF8CHAR_PTR n, CK_ULONG nl) {
  (void)h; (void)o; (void)ol; (void)n; (void)nl;
  CHECK_INIT();
  return CKR_FUNCTION_NOT_SUPPORTED;
}

/* ---- sessions ---- */
static void free_session(sr_session *s) {
  sr_op_reset(&s->sign); sr_op_reset(&s->verify); sr_op_reset(&s->decrypt); sr_op_reset(&s->encrypt); sr_op_reset(&s->digest);
  sr_buf_free(&s->wrapped.out);
  free(s->found);
  sr_mutex_free(s->mu);
  free(s);
}

static void put_session(sr_session *s) {
  if (atomic_fetch_sub(&s->refs, 1) == 1) free_session(s);
}

/* A reference to the session, locked for one operation; NULL if the handle is not open. */
static sr_session *get_session(CK_SESSION_HANDLE h) {
  sr_session *found = NULL;
  sr_lock(g.mu);
  for (size_t i = 0; i < g.nsessions; i++) {
    if (g.sessions[i]->handle == h) { found = g.sessions[i]; atomic_fetch_add(&found->refs, 1); break; }
  }
  sr_unlock(g.mu);
  if (found != NULL) sr_lock(found->mu);
  return found;
}

static void release(sr_session *s) {
  sr_unlock(s->mu);
  put_session(s);
}

EXPORT CK_RV C_OpenSession(CK_SLOT_ID slotID, CK_FLAGS flags, CK_VOID_PTR pApplication, CK_NOTIFY Notify, CK_SESSION_HANDLE_PTR phSession) {
  (void)pApplication; (void)Notify;
  CHECK_INIT();
  sr_slot *slot = slot_of(slotID);
  if (slot == NULL) return CKR_SLOT_ID_INVALID;
  if (!(flags & CKF_SERIAL_SESSION)) return CKR_SESSION_PARALLEL_NOT_SUPPORTED;
  if (phSession == NULL) return CKR_ARGUMENTS_BAD;
  sr_session *s = calloc(1, sizeof *s);
  if (s == NULL) return CKR_HOST_MEMORY;
  s->mu = sr_mutex_new();
  if (s->mu == NULL) { free(s); return CKR_HOST_MEMORY; }
  s->slot = slotID;
  s->flags = flags & (CKF_RW_SESSION | CKF_SERIAL_SESSION);
  atomic_init(&s->refs, 1);
  sr_lock(g.mu);
  if (g.nsessions >= MAX_SESSIONS) { sr_unlock(g.mu); free_session(s); return CKR_SESSION_COUNT; }
  sr_session **ns = realloc(g.sessions, (g.nsessions + 1) * sizeof *ns);
  if (ns == NULL) { sr_unlock(g.mu); free_session(s); return CKR_HOST_MEMORY; }
  g.sessions = ns;
  s->handle = g.next_session++;
  g.sessions[g.nsessions++] = s;
  sr_unlock(g.mu);
  *phSession = s->handle;
  return CKR_OK;
}

/* Drops the session objects a session made (PKCS#11: they live as long as their session). */
static void drop_session_objects(sr_slot *slot, CK_SESSION_HANDLE h) {
  sr_lock(slot->mu);
  size_t m = 0;
  for (size_t i = 0; i < slot->nsobjs; i++) {
    if (h == 0 || slot->sobjs[i]->owner == h) sr_object_unref(slot->sobjs[i]);
    else slot->sobjs[m++] = slot->sobjs[i];
  }
  slot->nsobjs = m;
  sr_unlock(slot->mu);
}

static bool any_session_on(size_t slot) {
  for (size_t i = 0; i < g.nsessions; i++) if (g.sessions[i]->slot == slot) return true;
  return false;
}

EXPORT CK_RV C_CloseSession(CK_SESSION_HANDLE hSession) {
  CHECK_INIT();
  sr_session *s = NULL;
  sr_lock(g.mu);
  for (size_t i = 0; i < g.nsessions; i++) {
    if (g.sessions[i]->handle == hSession) { s = g.sessions[i]; g.sessions[i] = g.sessions[--g.nsessions]; break; }
  }
  bool last = s != NULL && !any_session_on(s->slot);
  sr_unlock(g.mu);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  drop_session_objects(&g.slots[s->slot], hSession);
  if (last) { /* the login state ends with the last session */
    sr_lock(g.slots[s->slot].mu);
    g.slots[s->slot].logged_in = false;
    sr_unlock(g.slots[s->slot].mu);
  }
  put_session(s);
  return CKR_OK;
}

EXPORT CK_RV C_CloseAllSessions(CK_SLOT_ID slotID) {
  CHECK_INIT();
  if (slot_of(slotID) == NULL) return CKR_SLOT_ID_INVALID;
  for (;;) {
    CK_SESSION_HANDLE h = 0;
    sr_lock(g.mu);
    for (size_t i = 0; i < g.nsessions && h == 0; i++) if (g.sessions[i]->slot == slotID) h = g.sessions[i]->handle;
    sr_unlock(g.mu);
    if (h == 0) break;
    C_CloseSession(h);
  }
  return CKR_OK;
}

EXPORT CK_RV C_GetSessionInfo(CK_SESSION_HANDLE hSession, CK_SESSION_INFO_PTR pInfo) {
  CHECK_INIT();
  if (pInfo == NULL) return CKR_ARGUMENTS_BAD;
  sr_session *s = get_session(hSession);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  bool rw = (s->flags & CKF_RW_SESSION) != 0, in = g.slots[s->slot].logged_in;
  pInfo->slotID = s->slot;
  pInfo->flags = s->flags;
  pInfo->state = rw ? (in ? CKS_RW_USER_FUNCTIONS : CKS_RW_PUBLIC_SESSION) : (in ? CKS_RO_USER_FUNCTIONS : CKS_RO_PUBLIC_SESSION);
  pInfo->ulDeviceError = 0;
  release(s);
  return CKR_OK;
}

EXPORT CK_RV C_GetOperationState(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG_PTR n) { (void)h; (void)p; (void)n; CHECK_INIT(); return CKR_FUNCTION_NOT_SUPPORTED; }
EXPORT CK_RV C_SetOperationState(CK_SESSION_HANDLE h, CK_BYTE_PTR p, CK_ULONG n, CK_OBJECT_HANDLE e, CK_OBJECT_HANDLE a) {
  (void)h; (void)p; (void)n; (void)e; (void)a;
  CHECK_INIT();
  return CKR_FUNCTION_NOT_SUPPORTED;
}

static CK_RV login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType) {
  CHECK_INIT();
  sr_session *s = get_session(hSession);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  sr_slot *slot = &g.slots[s->slot];
  CK_RV rv = CKR_OK;
  if (userType != CKU_USER && userType != CKU_SO && userType != CKU_CONTEXT_SPECIFIC) rv = CKR_USER_TYPE_INVALID;
  else if (userType == CKU_CONTEXT_SPECIFIC) rv = CKR_OK; /* no key needs re-authentication */
  else {
    sr_lock(slot->mu);
    if (slot->logged_in) rv = CKR_USER_ALREADY_LOGGED_IN;
    else slot->logged_in = true; /* the PIN is ignored: the service authenticates the module */
    sr_unlock(slot->mu);
  }
  release(s);
  return rv;
}

EXPORT CK_RV C_Login(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen) {
  (void)pPin; (void)ulPinLen;
  return login(hSession, userType);
}

EXPORT CK_RV C_LoginUser(CK_SESSION_HANDLE hSession, CK_USER_TYPE userType, CK_UTF8CHAR_PTR pPin, CK_ULONG ulPinLen,
                         CK_UTF8CHAR_PTR pUsername, CK_ULONG ulUsernameLen) {
  (void)pPin; (void)ulPinLen; (void)pUsername; (void)ulUsernameLen;
  return login(hSession, userType);
}

EXPORT CK_RV C_Logout(CK_SESSION_HANDLE hSession) {
  CHECK_INIT();
  sr_session *s = get_session(hSession);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  sr_slot *slot = &g.slots[s->slot];
  sr_lock(slot->mu);
  CK_RV rv = slot->logged_in ? CKR_OK : CKR_USER_NOT_LOGGED_IN;
  slot->logged_in = false;
  sr_unlock(slot->mu);
  release(s);
  return rv;
}

/* ---- objects ---- */
EXPORT CK_RV C_CreateObject(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount, CK_OBJECT_HANDLE_PTR phObject) {
  CHECK_INIT();
  if (phObject == NULL || (pTemplate == NULL && ulCount > 0)) return CKR_ARGUMENTS_BAD;
  sr_session *s = get_session(hSession);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  sr_slot *slot = &g.slots[s->slot];
  CK_OBJECT_HANDLE h = 0x800000000000UL | atomic_fetch_add(&g.next_object, 1);
  sr_object *o = NULL;
  CK_RV rv = sr_object_from_template(pTemplate, ulCount, h, &o);
  if (rv == CKR_OK) {
    o->owner = hSession;
    sr_lock(slot->mu);
    sr_object **no = realloc(slot->sobjs, (slot->nsobjs + 1) * sizeof *no);
    if (no == NULL) rv = CKR_HOST_MEMORY;
    else { slot->sobjs = no; slot->sobjs[slot->nsobjs++] = o; }
    sr_unlock(slot->mu);
    if (rv != CKR_OK) sr_object_unref(o);
    else *phObject = h;
  }
  release(s);
  return rv;
}

EXPORT CK_RV C_CopyObject(CK_SESSION_HANDLE h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_PTR t, CK_ULONG n, CK_OBJECT_HANDLE_PTR ph) {
  (void)o; (void)t; (void)n; (void)ph;
  CHECK_INIT();
  sr_session *s = get_session(h);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  release(s);
  return CKR_ACTION_PROHIBITED; /* CKA_COPYABLE is false on every token object */
}

EXPORT CK_RV C_DestroyObject(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject) {
  CHECK_INIT();
  sr_session *s = get_session(hSession);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  sr_slot *slot = &g.slots[s->slot];
  sr_object *o = sr_slot_find_object(slot, hObject);
  CK_RV rv = CKR_OK;
  if (o == NULL) rv = CKR_OBJECT_HANDLE_INVALID;
  else if (!o->token) {
    sr_lock(slot->mu);
    for (size_t i = 0; i < slot->nsobjs; i++) {
      if (slot->sobjs[i] == o) { sr_object_unref(o); slot->sobjs[i] = slot->sobjs[--slot->nsobjs]; break; }
    }
    sr_unlock(slot->mu);
  } else if (!(s->flags & CKF_RW_SESSION)) rv = CKR_SESSION_READ_ONLY;
  else if (o->cls == CKO_CERTIFICATE) rv = CKR_ACTION_PROHIBITED; /* generated, goes with its key */
  else {
    /* Soft delete of the whole key (every version); the service keeps it recoverable for its retention. */
    rv = sr_rest_delete(slot->svc, o->key->k.name);
    if (rv == CKR_OK) sr_slot_remove_key(slot, o->key->k.name);
  }
  sr_object_unref(o);
  release(s);
  return rv;
}

EXPORT CK_RV C_GetObjectSize(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ULONG_PTR pulSize) {
  CHECK_INIT();
  if (pulSize == NULL) return CKR_ARGUMENTS_BAD;
  sr_session *s = get_session(hSession);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  sr_object *o = sr_slot_find_object(&g.slots[s->slot], hObject);
  release(s);
  if (o == NULL) return CKR_OBJECT_HANDLE_INVALID;
  *pulSize = CK_UNAVAILABLE_INFORMATION;
  sr_object_unref(o);
  return CKR_OK;
}

EXPORT CK_RV C_GetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  CHECK_INIT();
  if (pTemplate == NULL && ulCount > 0) return CKR_ARGUMENTS_BAD;
  sr_session *s = get_session(hSession);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  sr_object *o = sr_slot_find_object(&g.slots[s->slot], hObject);
  release(s);
  if (o == NULL) return CKR_OBJECT_HANDLE_INVALID;
  CK_RV rv = sr_object_get_attributes(o, pTemplate, ulCount);
  sr_object_unref(o);
  return rv;
}

EXPORT CK_RV C_SetAttributeValue(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE hObject, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  (void)pTemplate; (void)ulCount;
  CHECK_INIT();
  sr_session *s = get_session(hSession);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  sr_object *o = sr_slot_find_object(&g.slots[s->slot], hObject);
  release(s);
  if (o == NULL) return CKR_OBJECT_HANDLE_INVALID;
  sr_object_unref(o);
  return CKR_ACTION_PROHIBITED; /* CKA_MODIFIABLE is false: attributes change in the service, not here */
}

EXPORT CK_RV C_FindObjectsInit(CK_SESSION_HANDLE hSession, CK_ATTRIBUTE_PTR pTemplate, CK_ULONG ulCount) {
  CHECK_INIT();
  if (pTemplate == NULL && ulCount > 0) return CKR_ARGUMENTS_BAD;
  sr_session *s = get_session(hSession);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  if (s->finding) { release(s); return CKR_OPERATION_ACTIVE; }
  sr_slot *slot = &g.slots[s->slot];
  refresh_if_stale(slot);
  /* The result is fixed now: objects that appear or go during the search do not change it. */
  sr_objset *set = sr_slot_objects(slot);
  sr_lock(slot->mu);
  size_t cap = (set != NULL ? set->n : 0) + slot->nsobjs;
  CK_OBJECT_HANDLE *found = malloc((cap == 0 ? 1 : cap) * sizeof *found);
  size_t n = 0;
  for (size_t i = 0; found != NULL && set != NULL && i < set->n; i++) if (sr_object_matches(set->objs[i], pTemplate, ulCount)) found[n++] = set->objs[i]->handle;
  for (size_t i = 0; found != NULL && i < slot->nsobjs; i++) if (sr_object_matches(slot->sobjs[i], pTemplate, ulCount)) found[n++] = slot->sobjs[i]->handle;
  sr_unlock(slot->mu);
  sr_objset_unref(set);
  if (found == NULL) { release(s); return CKR_HOST_MEMORY; }
  free(s->found);
  s->found = found;
  s->nfound = n;
  s->pos = 0;
  s->finding = true;
  release(s);
  return CKR_OK;
}

EXPORT CK_RV C_FindObjects(CK_SESSION_HANDLE hSession, CK_OBJECT_HANDLE_PTR phObject, CK_ULONG ulMaxObjectCount, CK_ULONG_PTR pulObjectCount) {
  CHECK_INIT();
  if (phObject == NULL || pulObjectCount == NULL) return CKR_ARGUMENTS_BAD;
  sr_session *s = get_session(hSession);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  if (!s->finding) { release(s); return CKR_OPERATION_NOT_INITIALIZED; }
  size_t n = 0;
  while (n < ulMaxObjectCount && s->pos < s->nfound) phObject[n++] = s->found[s->pos++];
  *pulObjectCount = n;
  release(s);
  return CKR_OK;
}

EXPORT CK_RV C_FindObjectsFinal(CK_SESSION_HANDLE hSession) {
  CHECK_INIT();
  sr_session *s = get_session(hSession);
  if (s == NULL) return CKR_SESSION_HANDLE_INVALID;
  CK_RV rv = s->finding ? CKR_OK : CKR_OPERATION_NOT_INITIALIZED;
  free(s->found);
  s->found = NULL;
  s->nfound = s->pos = 0;
  s->finding = false;
  release(s);
  return rv;
}

#include "p11-ops.inc"
#include "p11-tail.inc"
