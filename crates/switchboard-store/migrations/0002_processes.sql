-- Claude CLI runs: the request, every status transition, and the outcome (SPEC §4).
CREATE TABLE processes (
    id                 TEXT    PRIMARY KEY,
    user_id            TEXT    NOT NULL,
    prompt             TEXT    NOT NULL,
    system_prompt      TEXT,
    model              TEXT,
    max_tokens         INTEGER,
    working_directory  TEXT    NOT NULL,
    timeout_ms         INTEGER NOT NULL,
    status             TEXT    NOT NULL,
    output             TEXT    NOT NULL DEFAULT '',
    stdout             TEXT,
    stderr             TEXT,
    exit_code          INTEGER,
    error_code         TEXT,
    error_message      TEXT,
    content            TEXT,
    response_model     TEXT,
    stop_reason        TEXT,
    input_tokens       INTEGER,
    output_tokens      INTEGER,
    created_at         TEXT    NOT NULL,
    started_at         TEXT,
    completed_at       TEXT
);
CREATE INDEX processes_by_user ON processes (user_id, created_at DESC);

CREATE TABLE process_transitions (
    process_id  TEXT NOT NULL REFERENCES processes (id),
    status      TEXT NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX process_transitions_by_process ON process_transitions (process_id);
