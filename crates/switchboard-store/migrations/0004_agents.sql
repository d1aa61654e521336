-- Agent runtime (SPEC §6): workflow definitions, executions with their
-- per-step checkpoints, and each execution's event history.
CREATE TABLE workflows (
    id          TEXT PRIMARY KEY,
    owner       TEXT,
    definition  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE executions (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    workflow_id  TEXT,
    owner        TEXT NOT NULL,
    status       TEXT NOT NULL,
    input        TEXT NOT NULL,
    definition   TEXT NOT NULL,
    result       TEXT,
    error        TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX executions_by_owner ON executions (owner, created_at DESC);
CREATE INDEX executions_by_status ON executions (status);

CREATE TABLE execution_steps (
    execution_id  TEXT    NOT NULL REFERENCES executions (id),
    step_id       TEXT    NOT NULL,
    status        TEXT    NOT NULL,
    output        TEXT,
    error         TEXT,
    attempts      INTEGER NOT NULL,
    updated_at    TEXT    NOT NULL,
    PRIMARY KEY (execution_id, step_id)
);

CREATE TABLE execution_events (
    execution_id  TEXT    NOT NULL REFERENCES executions (id),
    seq           INTEGER NOT NULL,
    body          TEXT    NOT NULL,
    at            TEXT    NOT NULL,
    PRIMARY KEY (execution_id, seq)
);
