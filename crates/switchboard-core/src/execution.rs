//! Agent execution vocabulary shared by the runtime, the store and the gateway.

/// Defines a closed set of stored spellings with `ALL`, `as_str` and `parse`.
macro_rules! spelled {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and wire spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored spelling.
            pub fn parse(text: &str) -> Option<Self> {
                Self::ALL.iter().copied().find(|value| value.as_str() == text)
            }
        }
    };
}

spelled! {
    /// What an execution runs.
    ExecutionKind {
        /// A stored workflow definition.
        Workflow => "workflow",
        /// `agent:orchestrate`: named roles in order, run as a workflow.
        Orchestration => "orchestration",
        /// `agent:critique:execute`.
        Critique => "critique",
        /// `agent:discussion:execute`.
        Discussion => "discussion",
    }
}

spelled! {
    /// Where an execution is in its life.
    ExecutionStatus {
        /// Waiting for a concurrency slot.
        Queued => "queued",
        /// Steps are running or may start.
        Running => "running",
        /// No new step starts until resumed.
        Paused => "paused",
        /// Every step succeeded.
        Completed => "completed",
        /// A step failed for good, or the run was interrupted.
        Failed => "failed",
        /// Stopped by its owner.
        Cancelled => "cancelled",
    }
}

spelled! {
    /// Where one workflow step is.
    StepStatus {
        /// Running, or waiting between attempts.
        Running => "running",
        /// An approval step waiting for a decision.
        AwaitingApproval => "awaiting_approval",
        /// Done; its output is checkpointed and it never runs again.
        Completed => "completed",
        /// Failed for good.
        Failed => "failed",
    }
}

impl ExecutionStatus {
    /// Whether the execution can no longer change.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            ExecutionStatus::Completed | ExecutionStatus::Failed | ExecutionStatus::Cancelled
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_round_trip() {
        for kind in ExecutionKind::ALL {
            assert_eq!(ExecutionKind::parse(kind.as_str()), Some(*kind));
        }
        for status in ExecutionStatus::ALL {
            assert_eq!(ExecutionStatus::parse(status.as_str()), Some(*status));
        }
        for status in StepStatus::ALL {
            assert_eq!(StepStatus::parse(status.as_str()), Some(*status));
        }
        assert_eq!(ExecutionStatus::parse("bogus"), None);
        assert!(ExecutionStatus::Cancelled.is_final() && !ExecutionStatus::Paused.is_final());
    }
}
