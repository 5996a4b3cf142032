/**
 * The SQLite schema, as an ordered list of migrations. A migration is never edited once released: a change
 * to the schema is a new entry at the end. The schema version is the number of migrations applied.
 */
export const sqliteMigrations: readonly string[] = [
  `
  CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) STRICT;

  CREATE TABLE principals (
    id           TEXT PRIMARY KEY,
    display_name TEXT NOT NULL,
    secret_hash  TEXT NOT NULL,
    created      INTEGER NOT NULL
  ) STRICT;

  -- One row per key name; soft delete marks the whole key, all its versions.
  CREATE TABLE keys (
    name_lc              TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    deleted_date         INTEGER,
    scheduled_purge_date INTEGER
  ) STRICT;
  CREATE INDEX keys_scheduled_purge ON keys (scheduled_purge_date) WHERE deleted_date IS NOT NULL;

  -- seq orders versions: the latest version of a key is the one with the highest seq.
  CREATE TABLE key_versions (
    seq             INTEGER PRIMARY KEY AUTOINCREMENT,
    name_lc         TEXT NOT NULL REFERENCES keys (name_lc) ON DELETE CASCADE,
    version         TEXT NOT NULL,
    family          TEXT NOT NULL,
    key_size        INTEGER,
    curve           TEXT,
    key_ops         TEXT NOT NULL,
    public_jwk      TEXT NOT NULL,
    sealed_material BLOB NOT NULL,
    enabled         INTEGER NOT NULL,
    nbf             INTEGER,
    exp             INTEGER,
    exportable      INTEGER NOT NULL,
    created         INTEGER NOT NULL,
    updated         INTEGER NOT NULL,
    tags            TEXT,
    release_policy  TEXT,
    UNIQUE (name_lc, version)
  ) STRICT;
  CREATE INDEX key_versions_by_key ON key_versions (name_lc, seq);
  `,
  `
  -- Optimistic concurrency: every change of a version's row bumps its row version.
  ALTER TABLE key_versions ADD COLUMN row_version INTEGER NOT NULL DEFAULT 1;

  -- Deleted keys page by name without walking the active ones.
  CREATE INDEX keys_deleted_by_name ON keys (name_lc) WHERE deleted_date IS NOT NULL;

  -- Scheduled jobs: the lease one node holds while it runs the job, and the job's schedule and state.
  CREATE TABLE jobs (
    name          TEXT PRIMARY KEY,
    holder        TEXT,
    lease_expires INTEGER,
    last_started  INTEGER,
    last_finished INTEGER,
    last_outcome  TEXT,
    last_error    TEXT,
    next_run      INTEGER,
    state         TEXT
  ) STRICT;
  `,
  `
  -- Local RBAC: custom role definitions (the built-in ones are code) and role assignments.
  CREATE TABLE role_definitions (
    name       TEXT PRIMARY KEY,
    definition TEXT NOT NULL
  ) STRICT;
  CREATE TABLE role_assignments (
    name            TEXT PRIMARY KEY,
    scope           TEXT NOT NULL,
    role_definition TEXT NOT NULL,
    principal_id    TEXT NOT NULL,
    UNIQUE (principal_id, role_definition, scope)
  ) STRICT;
  CREATE INDEX role_assignments_by_role ON role_assignments (role_definition);

  -- A principal's credential generation: bumped by a secret reset, so that older tokens stop working.
  ALTER TABLE principals ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;
  -- A certificate principal's certificate (PEM, public); its secret_hash is then empty.
  ALTER TABLE principals ADD COLUMN certificate TEXT;
  `,
  `
  -- The audit log: one hash chain per node process; each record carries the previous record's hash.
  CREATE TABLE audit_records (
    chain_id       TEXT NOT NULL,
    seq            INTEGER NOT NULL,
    time           INTEGER NOT NULL,
    kind           TEXT NOT NULL,
    operation_name TEXT NOT NULL,
    principal_id   TEXT,
    key_name       TEXT,
    body           TEXT NOT NULL,
    prev_hash      TEXT NOT NULL,
    hash           TEXT NOT NULL,
    PRIMARY KEY (chain_id, seq)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX audit_records_by_time ON audit_records (time, chain_id, seq);
  CREATE INDEX audit_records_by_key ON audit_records (key_name, time) WHERE key_name IS NOT NULL;
  CREATE INDEX audit_records_by_principal ON audit_records (principal_id, time) WHERE principal_id IS NOT NULL;
  -- Each chain's last record, as its writer last appended it (a truncated chain ends before its head).
  CREATE TABLE audit_chains (
    chain_id  TEXT PRIMARY KEY,
    head_seq  INTEGER NOT NULL,
    head_hash TEXT NOT NULL
  ) STRICT;
  `,
  `
  -- How a version's material entered the boundary (generated, imported, byok); NULL for older versions.
  ALTER TABLE key_versions ADD COLUMN origin TEXT;
  `,
  `
  -- Rotation policies, one per key name (they outlive versions, go with a purge), and the scheduler's marks:
  -- the version it last rotated away from and the one it last notified, each set by a compare-and-set.
  CREATE TABLE key_rotation_policies (
    name_lc          TEXT PRIMARY KEY REFERENCES keys (name_lc) ON DELETE CASCADE,
    policy           TEXT NOT NULL,
    action_count     INTEGER NOT NULL,
    created          INTEGER NOT NULL,
    updated          INTEGER NOT NULL,
    rotated_from     TEXT,
    notified_version TEXT
  ) STRICT;
  -- The outbox of key events for the webhook: written with what they report, delivered and marked by the job.
  CREATE TABLE key_events (
    id           TEXT PRIMARY KEY,
    time         INTEGER NOT NULL,
    body         TEXT NOT NULL,
    status       TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    next_attempt INTEGER NOT NULL,
    last_error   TEXT,
    delivered_at INTEGER
  ) STRICT;
  CREATE INDEX key_events_pending ON key_events (next_attempt, time) WHERE status = 'pending';
  `,
  `
  -- Cloud HSM key semantics (issue 12): CKA_TRUSTED, and CKA_WRAP_WITH_TRUSTED (one-way to true).
  ALTER TABLE key_versions ADD COLUMN trusted INTEGER NOT NULL DEFAULT 0;
  -- Versions stored before it existed were made by Strongroom, whose keys default to true.
  ALTER TABLE key_versions ADD COLUMN wrap_with_trusted INTEGER NOT NULL DEFAULT 1;
  `,
  `
  -- Secrets (issue 12): a namespace apart from keys, the same shape. One row per secret name; soft delete marks
  -- the whole secret. Values are stored sealed only (sealed_value), never in the clear.
  CREATE TABLE secrets (
    name_lc              TEXT PRIMARY KEY,
    name                 TEXT NOT NULL,
    deleted_date         INTEGER,
    scheduled_purge_date INTEGER
  ) STRICT;
  CREATE INDEX secrets_scheduled_purge ON secrets (scheduled_purge_date) WHERE deleted_date IS NOT NULL;
  CREATE INDEX secrets_deleted_by_name ON secrets (name_lc) WHERE deleted_date IS NOT NULL;

  CREATE TABLE secret_versions (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT,
    name_lc      TEXT NOT NULL REFERENCES secrets (name_lc) ON DELETE CASCADE,
    version      TEXT NOT NULL,
    content_type TEXT,
    sealed_value BLOB NOT NULL,
    enabled      INTEGER NOT NULL,
    nbf          INTEGER,
    exp          INTEGER,
    created      INTEGER NOT NULL,
    updated      INTEGER NOT NULL,
    tags         TEXT,
    row_version  INTEGER NOT NULL DEFAULT 1,
    UNIQUE (name_lc, version)
  ) STRICT;
  CREATE INDEX secret_versions_by_secret ON secret_versions (name_lc, seq);
  `,
];
