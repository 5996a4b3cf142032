/**
 * The PostgreSQL schema, as an ordered list of migrations. A migration is never edited once released: a change
 * to the schema is a new entry at the end. The schema version is the number of migrations applied.
 *
 * Migration 1 is SQLite's migrations 1 and 2 in PostgreSQL's types (IntDates `bigint`, flags `boolean`, sealed
 * material `bytea`, JSON members `json`, which keeps the text as written, member order included), plus what
 * only a shared database needs: `store_changes`, the counter every unit that writes keys bumps (`change-feed.ts`).
 * Key names sort in `COLLATE "C"` (code point order), whatever the database's default collation, so that
 * paging runs in the same order as on SQLite.
 */
export const postgresMigrations: readonly string[] = [
  `
  CREATE TABLE settings (
    name  text PRIMARY KEY,
    value text NOT NULL
  );

  CREATE TABLE principals (
    id           text PRIMARY KEY,
    display_name text NOT NULL,
    secret_hash  text NOT NULL,
    created      bigint NOT NULL
  );

  -- One row per key name; soft delete marks the whole key, all its versions.
  CREATE TABLE keys (
    name_lc              text COLLATE "C" PRIMARY KEY,
    name                 text NOT NULL,
    deleted_date         bigint,
    scheduled_purge_date bigint
  );
  CREATE INDEX keys_scheduled_purge ON keys (scheduled_purge_date) WHERE deleted_date IS NOT NULL;
  -- Deleted keys page by name without walking the active ones.
  CREATE INDEX keys_deleted_by_name ON keys (name_lc) WHERE deleted_date IS NOT NULL;

  -- seq orders versions: the latest version of a key is the one with the highest seq.
  -- row_version: optimistic concurrency; every change of a version's row bumps it.
  CREATE TABLE key_versions (
    seq             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name_lc         text COLLATE "C" NOT NULL REFERENCES keys (name_lc) ON DELETE CASCADE,
    version         text NOT NULL,
    family          text NOT NULL,
    key_size        integer,
    curve           text,
    key_ops         json NOT NULL,
    public_jwk      json NOT NULL,
    sealed_material bytea NOT NULL,
    enabled         boolean NOT NULL,
    nbf             bigint,
    exp             bigint,
    exportable      boolean NOT NULL,
    created         bigint NOT NULL,
    updated         bigint NOT NULL,
    tags            json,
    release_policy  json,
    row_version     integer NOT NULL DEFAULT 1,
    UNIQUE (name_lc, version)
  );
  CREATE INDEX key_versions_by_key ON key_versions (name_lc, seq);

  -- Scheduled jobs: the lease one node holds while it runs the job, and the job's schedule and state.
  CREATE TABLE jobs (
    name          text PRIMARY KEY,
    holder        text,
    lease_expires bigint,
    last_started  bigint,
    last_finished bigint,
    last_outcome  text,
    last_error    text,
    next_run      bigint,
    state         text
  );

  -- Bumped by every unit of work that writes keys, in its transaction: a node that may have missed a
  -- notification compares it with the last one it saw.
  CREATE TABLE store_changes (
    id      boolean PRIMARY KEY DEFAULT true CHECK (id),
    counter bigint NOT NULL
  );
  INSERT INTO store_changes (id, counter) VALUES (true, 0);
  `,
  `
  -- Local RBAC: custom role definitions (the built-in ones are code) and role assignments.
  CREATE TABLE role_definitions (
    name       text PRIMARY KEY,
    definition json NOT NULL
  );
  CREATE TABLE role_assignments (
    name            text PRIMARY KEY,
    scope           text NOT NULL,
    role_definition text NOT NULL,
    principal_id    text NOT NULL,
    UNIQUE (principal_id, role_definition, scope)
  );
  CREATE INDEX role_assignments_by_role ON role_assignments (role_definition);

  -- A principal's credential generation: bumped by a secret reset, so that older tokens stop working.
  ALTER TABLE principals ADD COLUMN generation integer NOT NULL DEFAULT 1;
  -- A certificate principal's certificate (PEM, public); its secret_hash is then empty.
  ALTER TABLE principals ADD COLUMN certificate text;
  `,
  `
  -- The audit log: one hash chain per node process; each record carries the previous record's hash. The body
  -- is text (not json), so it keeps the exact bytes the hash covers.
  CREATE TABLE audit_records (
    chain_id       text COLLATE "C" NOT NULL,
    seq            bigint NOT NULL,
    time           bigint NOT NULL,
    kind           text NOT NULL,
    operation_name text NOT NULL,
    principal_id   text,
    key_name       text COLLATE "C",
    body           text NOT NULL,
    prev_hash      text NOT NULL,
    hash           text NOT NULL,
    PRIMARY KEY (chain_id, seq)
  );
  CREATE INDEX audit_records_by_time ON audit_records (time, chain_id, seq);
  CREATE INDEX audit_records_by_key ON audit_records (key_name, time) WHERE key_name IS NOT NULL;
  CREATE INDEX audit_records_by_principal ON audit_records (principal_id, time) WHERE principal_id IS NOT NULL;
  -- Each chain's last record, as its writer last appended it; appends lock the chain's row.
  CREATE TABLE audit_chains (
    chain_id  text COLLATE "C" PRIMARY KEY,
    head_seq  bigint NOT NULL,
    head_hash text NOT NULL
  );
  `,
  `
  -- How a version's material entered the boundary (generated, imported, byok); NULL for older versions.
  ALTER TABLE key_versions ADD COLUMN origin text;
  `,
  `
  -- Rotation policies, one per key name (they outlive versions, go with a purge), and the scheduler's marks:
  -- the version it last rotated away from and the one it last notified, each set by a compare-and-set.
  CREATE TABLE key_rotation_policies (
    name_lc          text COLLATE "C" PRIMARY KEY REFERENCES keys (name_lc) ON DELETE CASCADE,
    policy           json NOT NULL,
    action_count     integer NOT NULL,
    created          bigint NOT NULL,
    updated          bigint NOT NULL,
    rotated_from     text,
    notified_version text
  );
  -- The outbox of key events for the webhook: written with what they report, delivered and marked by the job.
  CREATE TABLE key_events (
    id           text PRIMARY KEY,
    time         bigint NOT NULL,
    body         text NOT NULL,
    status       text NOT NULL,
    attempts     integer NOT NULL,
    next_attempt bigint NOT NULL,
    last_error   text,
    delivered_at bigint
  );
  CREATE INDEX key_events_pending ON key_events (next_attempt, time) WHERE status = 'pending';
  `,
  `
  -- Cloud HSM key semantics (issue 12): CKA_TRUSTED, and CKA_WRAP_WITH_TRUSTED (one-way to true).
  ALTER TABLE key_versions ADD COLUMN trusted boolean NOT NULL DEFAULT false;
  -- Versions stored before it existed were made by Strongroom, whose keys default to true.
  ALTER TABLE key_versions ADD COLUMN wrap_with_trusted boolean NOT NULL DEFAULT true;
  `,
  `
  -- Secrets (issue 12): a namespace apart from keys, the same shape. One row per secret name; soft delete marks
  -- the whole secret. Values are stored sealed only (sealed_value), never in the clear.
  CREATE TABLE secrets (
    name_lc              text COLLATE "C" PRIMARY KEY,
    name                 text NOT NULL,
    deleted_date         bigint,
    scheduled_purge_date bigint
  );
  CREATE INDEX secrets_scheduled_purge ON secrets (scheduled_purge_date) WHERE deleted_date IS NOT NULL;
  CREATE INDEX secrets_deleted_by_name ON secrets (name_lc) WHERE deleted_date IS NOT NULL;

  CREATE TABLE secret_versions (
    seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name_lc      text COLLATE "C" NOT NULL REFERENCES secrets (name_lc) ON DELETE CASCADE,
    version      text NOT NULL,
    content_type text,
    sealed_value bytea NOT NULL,
    enabled      boolean NOT NULL,
    nbf          bigint,
    exp          bigint,
    created      bigint NOT NULL,
    updated      bigint NOT NULL,
    tags         json,
    row_version  integer NOT NULL DEFAULT 1,
    UNIQUE (name_lc, version)
  );
  CREATE INDEX secret_versions_by_secret ON secret_versions (name_lc, seq);
  `,
];
