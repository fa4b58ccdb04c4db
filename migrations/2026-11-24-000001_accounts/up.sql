-- Accounts, channels and their workflows, grants, sessions and login throttling.

CREATE TABLE departments (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9_-]{1,32}$'),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
    id             uuid PRIMARY KEY,
    username       text NOT NULL CHECK (username ~ '^[A-Za-z0-9_.-]{3,64}$'),
    display_name   text NOT NULL CHECK (char_length(display_name) BETWEEN 1 AND 200),
    password_hash  text NOT NULL,
    department_id  uuid REFERENCES departments (id),
    disabled       boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now()
);
-- "Admin" and "admin" must not be two people.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE INDEX users_created_at ON users (created_at, id);

CREATE TABLE channels (
    code        text PRIMARY KEY CHECK (code ~ '^[a-z0-9_-]{1,32}$'),
    name        text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- A channel's workflow is versioned: a draft keeps the version it was
-- submitted under, so a version is never changed once written.
CREATE TABLE workflows (
    channel     text NOT NULL REFERENCES channels (code),
    version     integer NOT NULL CHECK (version >= 1),
    stages      text[] NOT NULL CHECK (
        cardinality(stages) = 6
        AND stages @> ARRAY['review_1','review_2','review_3','proofread_1','proofread_2','proofread_3']
    ),
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  uuid REFERENCES users (id),
    PRIMARY KEY (channel, version)
);

INSERT INTO channels (code, name) VALUES
    ('wechat_official', '微信公众号'),
    ('portal', '门户网站'),
    ('wechat_group', '微信群'),
    ('qq_group', 'QQ群');

INSERT INTO workflows (channel, version, stages)
SELECT code, 1, ARRAY['review_1','proofread_1','review_2','proofread_2','review_3','proofread_3']
FROM channels;

CREATE TABLE grants (
    id             uuid PRIMARY KEY,
    user_id        uuid NOT NULL REFERENCES users (id),
    role           text NOT NULL CHECK (role IN (
        'admin','auditor','editor','publisher',
        'review_1','review_2','review_3','proofread_1','proofread_2','proofread_3')),
    channel        text REFERENCES channels (code),
    department_id  uuid REFERENCES departments (id),
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     uuid REFERENCES users (id)
);
CREATE UNIQUE INDEX grants_unique_scope ON grants (
    user_id, role, coalesce(channel, ''),
    coalesce(department_id, '00000000-0000-0000-0000-000000000000'));
CREATE INDEX grants_role ON grants (role, user_id);

CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    user_id      uuid NOT NULL REFERENCES users (id),
    created_at   timestamptz NOT NULL DEFAULT now(),
    revoked_at   timestamptz,
    revoked_why  text
);
CREATE INDEX sessions_live_by_user ON sessions (user_id) WHERE revoked_at IS NULL;

-- Refresh tokens are stored only as SHA-256 of the random token.
CREATE TABLE refresh_tokens (
    token_hash  bytea PRIMARY KEY,
    session_id  uuid NOT NULL REFERENCES sessions (id),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    spent_at    timestamptz
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

-- Consecutive failures per (username, client address).
CREATE TABLE login_throttle (
    username              text NOT NULL,
    ip                    text NOT NULL,
    consecutive_failures  integer NOT NULL DEFAULT 0,
    locked_until          timestamptz,
    PRIMARY KEY (username, ip)
);

-- Every failure, for the per-username hourly cap across all addresses.
CREATE TABLE login_failures (
    id         bigserial PRIMARY KEY,
    username   text NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_failures_recent ON login_failures (username, failed_at);
