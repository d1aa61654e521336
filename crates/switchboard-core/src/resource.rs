//! Kinds of owned resources whose rooms only their owner (or an admin) may join.

/// A resource that belongs to one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// A Claude CLI run (`process:{id}`).
    Process,
    /// A workflow definition (`workflow:{id}`).
    Workflow,
    /// One run of a workflow or agent task (`execution:{id}`).
    Execution,
    /// A generated media item (`media:{id}`).
    Media,
}

impl ResourceKind {
    /// Every kind, for exhaustive iteration.
    pub const ALL: [ResourceKind; 4] = [
        ResourceKind::Process,
        ResourceKind::Workflow,
        ResourceKind::Execution,
        ResourceKind::Media,
    ];

    /// The name used as room prefix and as stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceKind::Process => "process",
            ResourceKind::Workflow => "workflow",
            ResourceKind::Execution => "execution",
            ResourceKind::Media => "media",
        }
    }

    /// Parses the stored text.
    pub fn parse(text: &str) -> Option<Self> {
        ResourceKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == text)
    }
}
