-- The process group of each Claude run whose CLI is running, so a node
-- restarted after a crash can kill what its previous life left behind.
-- `leader_start_ticks` (field 22 of /proc/<pid>/stat) and `boot_id`
-- (/proc/sys/kernel/random/boot_id) identify the group leader: a pid reused
-- after a reboot or a wrap never matches both. A row is deleted when its
-- run ends.
CREATE TABLE process_groups (
    process_id          TEXT    PRIMARY KEY REFERENCES processes (id),
    pgid                INTEGER NOT NULL,
    leader_start_ticks  INTEGER NOT NULL,
    boot_id             TEXT    NOT NULL,
    recorded_at         TEXT    NOT NULL
);
