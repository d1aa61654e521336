//! Process groups a previous life of the server left running. Each child
//! leads its own group; its id is recorded while it runs together with what
//! identifies the leader across a pid reuse, and a restarted node kills the
//! groups that are still there before it marks their runs interrupted.
//!
//! The pid-reuse guard (Linux `/proc`): a group is touched only when
//! - the boot id (`/proc/sys/kernel/random/boot_id`) is the recorded one:
//!   after a reboot every process of the old boot is gone and pids mean
//!   nothing, so the group is left alone;
//! - the process now holding the group id, if any, started at the recorded
//!   time (field 22 of `/proc/<pid>/stat`, clock ticks since boot): a pid
//!   reused after a wrap belongs to a process that started later;
//! - and, when the leader has exited, only members that started no earlier
//!   than the leader are counted (a group id cannot be handed out again
//!   while any member of the group lives).
//!
//! Without `/proc` nothing is recorded, so nothing is ever killed.

use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use switchboard_store::ProcessGroup;

const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";

/// How often the group is looked at while it is given time to exit.
const POLL: Duration = Duration::from_millis(50);

/// After SIGKILL, how long to wait for the kernel to finish the job.
const KILL_WAIT: Duration = Duration::from_secs(1);

/// The fields of `/proc/<pid>/stat` the guard reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stat {
    /// Field 3: `R`, `S`, `Z` (zombie), ...
    state: char,
    /// Field 5: the process group id.
    pgrp: i32,
    /// Field 22: start time, clock ticks since boot.
    start_ticks: u64,
}

impl Stat {
    fn alive(&self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }
}

/// Parses `/proc/<pid>/stat`; the command name (field 2) is in parentheses
/// and may itself hold spaces and parentheses, so fields are counted from
/// the last `)`.
pub(crate) fn parse_stat(text: &str) -> Option<Stat> {
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // `fields[0]` is field 3.
    Some(Stat {
        state: fields.first()?.chars().next()?,
        pgrp: fields.get(2)?.parse().ok()?,
        start_ticks: fields.get(19)?.parse().ok()?,
    })
}

fn stat(pid: i32) -> Option<Stat> {
    parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
}

fn boot_id() -> Option<String> {
    let id = std::fs::read_to_string(BOOT_ID).ok()?;
    Some(id.trim().to_owned()).filter(|id| !id.is_empty())
}

/// What identifies the group `pid` leads, to be recorded while it runs;
/// `None` without `/proc` or when the child has already gone.
pub(crate) fn identify(pid: i32) -> Option<ProcessGroup> {
    let leader = stat(pid)?;
    Some(ProcessGroup {
        pgid: pid,
        leader_start_ticks: leader.start_ticks,
        boot_id: boot_id()?,
    })
}

/// Live members of group `pgid` that started no earlier than `since`.
fn members(pgid: i32, since: u64) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            stat(*pid)
                .is_some_and(|stat| stat.alive() && stat.pgrp == pgid && stat.start_ticks >= since)
        })
        .collect()
}

/// What became of a recorded group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Leftover {
    /// Nothing of it is running.
    Gone,
    /// Recorded in another boot: its processes died with it.
    OtherBoot,
    /// Its id now belongs to a process that started later: left alone.
    Reused,
    /// It was running and has been killed.
    Killed {
        /// The members found (pids).
        members: Vec<i32>,
        /// SIGTERM was not enough: SIGKILL was sent.
        forced: bool,
    },
    /// It was signalled but members were still there after SIGKILL.
    Survived {
        /// The members still there.
        members: Vec<i32>,
    },
}

/// Judges a recorded group: the pid-reuse guard, with the system's state
/// passed in.
pub(crate) fn assess(
    recorded: &ProcessGroup,
    current_boot: Option<&str>,
    stat_of: impl Fn(i32) -> Option<Stat>,
    members_of: impl Fn(i32, u64) -> Vec<i32>,
) -> Leftover {
    if current_boot != Some(recorded.boot_id.as_str()) {
        return Leftover::OtherBoot;
    }
    if recorded.pgid <= 1 {
        // Never signal "every process" or init's group.
        return Leftover::Reused;
    }
    if let Some(holder) = stat_of(recorded.pgid)
        && holder.start_ticks != recorded.leader_start_ticks
    {
        return Leftover::Reused;
    }
    let members = members_of(recorded.pgid, recorded.leader_start_ticks);
    if members.is_empty() {
        Leftover::Gone
    } else {
        Leftover::Killed {
            members,
            forced: false,
        }
    }
}

/// Kills what is left of the recorded groups: SIGTERM to each group still
/// running and matching, up to `grace` for them to exit, then SIGKILL.
/// Returns what became of each group, in order.
pub async fn kill_leftover_groups(groups: &[ProcessGroup], grace: Duration) -> Vec<Leftover> {
    let boot = boot_id();
    let mut found: Vec<Leftover> = groups
        .iter()
        .map(|group| assess(group, boot.as_deref(), stat, members))
        .collect();
    let running = |found: &[Leftover]| -> Vec<usize> {
        found
            .iter()
            .enumerate()
            .filter(|(_, leftover)| matches!(leftover, Leftover::Killed { .. }))
            .map(|(index, _)| index)
            .filter(|index| {
                let group = &groups[*index];
                !members(group.pgid, group.leader_start_ticks).is_empty()
            })
            .collect()
    };
    let signal_all = |indices: &[usize], signal: Signal| {
        for index in indices {
            let pgid = groups[*index].pgid;
            if let Err(error) = killpg(Pid::from_raw(pgid), signal) {
                tracing::debug!(pgid, ?signal, %error, "leftover group not signalled");
            }
        }
    };
    let mut left = running(&found);
    if left.is_empty() {
        return found;
    }
    signal_all(&left, Signal::SIGTERM);
    let deadline = tokio::time::Instant::now() + grace;
    while !left.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(POLL).await;
        left = running(&found);
    }
    if left.is_empty() {
        return found;
    }
    signal_all(&left, Signal::SIGKILL);
    for index in &left {
        if let Leftover::Killed { forced, .. } = &mut found[*index] {
            *forced = true;
        }
    }
    let deadline = tokio::time::Instant::now() + KILL_WAIT;
    while !left.is_empty() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(POLL).await;
        left = running(&found);
    }
    for index in left {
        let group = &groups[index];
        found[index] = Leftover::Survived {
            members: members(group.pgid, group.leader_start_ticks),
        };
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::child::{ChildSpec, spawn};

    #[test]
    fn stat_fields_are_counted_from_the_last_parenthesis() {
        let text =
            "4242 (a (b) c) S 1 4240 4240 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 200";
        assert_eq!(
            parse_stat(text),
            Some(Stat {
                state: 'S',
                pgrp: 4240,
                start_ticks: 987_654
            })
        );
        assert_eq!(parse_stat("4242 (cut) S 1"), None);
    }

    #[test]
    fn the_guard_judges_boot_start_time_and_members() {
        let recorded = ProcessGroup {
            pgid: 4240,
            leader_start_ticks: 1000,
            boot_id: "boot-a".into(),
        };
        let leader = |start_ticks| {
            move |_| {
                Some(Stat {
                    state: 'S',
                    pgrp: 4240,
                    start_ticks,
                })
            }
        };
        let some = |_, _| vec![4240, 4241];
        let none = |_, _| Vec::new();
        assert_eq!(
            assess(&recorded, Some("boot-b"), leader(1000), some),
            Leftover::OtherBoot
        );
        assert_eq!(
            assess(&recorded, None, leader(1000), some),
            Leftover::OtherBoot
        );
        assert_eq!(
            assess(&recorded, Some("boot-a"), leader(2000), some),
            Leftover::Reused
        );
        assert_eq!(
            assess(&recorded, Some("boot-a"), leader(1000), none),
            Leftover::Gone
        );
        assert_eq!(
            assess(&recorded, Some("boot-a"), leader(1000), some),
            Leftover::Killed {
                members: vec![4240, 4241],
                forced: false
            }
        );
        // The leader has exited; its tools still run in the group.
        assert_eq!(
            assess(&recorded, Some("boot-a"), |_| None, some),
            Leftover::Killed {
                members: vec![4240, 4241],
                forced: false
            }
        );
        let init = ProcessGroup {
            pgid: 1,
            ..recorded
        };
        assert_eq!(
            assess(&init, Some("boot-a"), leader(1000), some),
            Leftover::Reused
        );
    }

    fn sleeper() -> ChildSpec {
        ChildSpec {
            program: "/bin/sh".into(),
            args: vec!["-c".into(), "sleep 30 & echo started; wait".into()],
            env: [("PATH".into(), "/usr/bin:/bin".into())]
                .into_iter()
                .collect(),
            cwd: std::env::temp_dir(),
            stdin: Vec::new(),
            stderr_cap: 64,
        }
    }

    fn alive(pgid: i32) -> bool {
        killpg(Pid::from_raw(pgid), None).is_ok() && !members(pgid, 0).is_empty()
    }

    #[tokio::test]
    async fn a_group_whose_leader_does_not_match_is_left_alone() {
        if boot_id().is_none() {
            return; // no /proc: nothing is recorded, nothing is killed
        }
        let mut child = spawn(sleeper()).unwrap();
        assert!(child.stdout.next_line().await.unwrap().is_some());
        let recorded = child.process_group().expect("recorded while running");
        assert_eq!(recorded.pgid, child.group.as_raw());

        let reused = ProcessGroup {
            leader_start_ticks: recorded.leader_start_ticks + 1,
            ..recorded.clone()
        };
        let other_boot = ProcessGroup {
            boot_id: "00000000-0000-0000-0000-000000000000".into(),
            ..recorded.clone()
        };
        let outcome = kill_leftover_groups(&[reused, other_boot], Duration::from_millis(200)).await;
        assert_eq!(outcome, vec![Leftover::Reused, Leftover::OtherBoot]);
        assert!(
            alive(recorded.pgid),
            "a group that does not match is left alone"
        );

        let outcome =
            kill_leftover_groups(std::slice::from_ref(&recorded), Duration::from_secs(2)).await;
        assert!(
            matches!(&outcome[..], [Leftover::Killed { members, .. }] if members.len() == 2),
            "{outcome:?}"
        );
        assert!(!child.wait().await.unwrap().success());
        let mut gone = false;
        for _ in 0..100 {
            if !alive(recorded.pgid) {
                gone = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            gone,
            "the matching group is killed, its background sleep too"
        );
    }
}
