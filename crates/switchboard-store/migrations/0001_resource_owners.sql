-- Who owns each resource whose room is reserved to its owner (SPEC §3).
CREATE TABLE resource_owners (
    kind        TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    user_id     TEXT    NOT NULL,
    created_at  INTEGER NOT NULL DEFAULT (unixepoch()),
    PRIMARY KEY (kind, id)
);
