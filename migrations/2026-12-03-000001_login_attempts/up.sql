-- Logins between the throttle check and argon2's verdict. They count as
-- failures until decided, so attempts sent in parallel cannot outrun the
-- lock-out (each is reserved here, under a per-username advisory lock,
-- before any hashing). A row left by a crashed process expires after two
-- minutes.
CREATE TABLE login_attempts (
    id          bigserial PRIMARY KEY,
    username    text NOT NULL,
    ip          text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX login_attempts_by_user ON login_attempts (username, ip);

-- Where each user last logged in successfully: the per-username hourly cap
-- spares these addresses for 30 days, so strangers cannot lock the owner out.
CREATE TABLE login_known_addresses (
    username         text NOT NULL,
    ip               text NOT NULL,
    last_success_at  timestamptz NOT NULL,
    PRIMARY KEY (username, ip)
);
