//! Room names and who may join them (SPEC §3).
//!
//! A room name is 1..=128 printable characters. Reserved prefixes tie a room
//! to its owner: `user:{id}` is only for that user, `process:`/`workflow:`/
//! `execution:`/`media:` rooms are for the resource's owner or an admin, and
//! `project:{name}`/`project-{name}` follow the token's `projects` claim.

use crate::resource::ResourceKind;
use crate::token::Identity;

/// Longest accepted room name, in characters.
pub const MAX_ROOM_NAME_CHARS: usize = 128;

/// Most rooms one socket may join through `joinRoom`.
pub const MAX_ROOMS_PER_SOCKET: usize = 100;

/// A syntactically valid room name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomName(String);

/// Why a room name is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RoomNameError {
    /// No visible characters.
    #[error("Room name must not be empty")]
    Empty,
    /// More than [`MAX_ROOM_NAME_CHARS`].
    #[error("Room name must be at most 128 characters")]
    TooLong,
    /// Contains a control character.
    #[error("Room name must contain only printable characters")]
    NotPrintable,
}

/// What a room name refers to, deciding who may join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomScope<'a> {
    /// `user:{id}`.
    User(&'a str),
    /// A room of an owned resource.
    Owned(ResourceKind, &'a str),
    /// `project:{name}` or `project-{name}`.
    Project(&'a str),
    /// Any other name.
    Open,
}

/// Why joining a room was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RoomDenied {
    /// The room belongs to someone else or to nothing the caller owns.
    #[error("Access denied")]
    NotOwner,
    /// The `projects` claim does not include this project.
    #[error("Access denied: project not allowed by token")]
    ProjectNotAllowed,
}

impl RoomName {
    /// Validates `name`.
    pub fn parse(name: &str) -> Result<Self, RoomNameError> {
        if name.is_empty() {
            return Err(RoomNameError::Empty);
        }
        if name.chars().count() > MAX_ROOM_NAME_CHARS {
            return Err(RoomNameError::TooLong);
        }
        if name
            .chars()
            .any(|c| c.is_control() || is_invisible_format(c))
        {
            return Err(RoomNameError::NotPrintable);
        }
        if name.trim().is_empty() {
            return Err(RoomNameError::Empty);
        }
        Ok(RoomName(name.to_owned()))
    }

    /// The name as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The room of a user's own sockets.
    pub fn of_user(user_id: &str) -> String {
        format!("user:{user_id}")
    }

    /// What the name refers to.
    pub fn scope(&self) -> RoomScope<'_> {
        if let Some(id) = self.0.strip_prefix("user:") {
            return RoomScope::User(id);
        }
        if let Some(name) = self
            .0
            .strip_prefix("project:")
            .or_else(|| self.0.strip_prefix("project-"))
        {
            return RoomScope::Project(name);
        }
        if let Some((prefix, id)) = self.0.split_once(':')
            && let Some(kind) = ResourceKind::parse(prefix)
        {
            return RoomScope::Owned(kind, id);
        }
        RoomScope::Open
    }
}

/// Zero-width and bidirectional-override characters, which make a name look
/// like another one.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}')
}

/// Decides whether `identity` may join a room of `scope`; `owner` is the
/// owner of the resource for [`RoomScope::Owned`] (looked up by the caller).
pub fn authorize(
    identity: &Identity,
    scope: RoomScope<'_>,
    owner: Option<&str>,
) -> Result<(), RoomDenied> {
    match scope {
        RoomScope::Open => Ok(()),
        RoomScope::User(id) if id == identity.user_id => Ok(()),
        RoomScope::User(_) => Err(RoomDenied::NotOwner),
        RoomScope::Owned(..) if identity.is_admin() => Ok(()),
        RoomScope::Owned(..) if owner == Some(identity.user_id.as_str()) => Ok(()),
        RoomScope::Owned(..) => Err(RoomDenied::NotOwner),
        RoomScope::Project(name) if identity.may_access_project(name) => Ok(()),
        RoomScope::Project(_) => Err(RoomDenied::ProjectNotAllowed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, roles: &[&str], projects: Option<&[&str]>) -> Identity {
        Identity {
            user_id: id.into(),
            email: None,
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            projects: projects.map(|p| p.iter().map(|s| (*s).to_owned()).collect()),
            expires_at: None,
        }
    }

    #[test]
    fn names_are_bounded_and_printable() {
        assert_eq!(RoomName::parse(""), Err(RoomNameError::Empty));
        assert!(RoomName::parse(&"x".repeat(128)).is_ok());
        assert_eq!(
            RoomName::parse(&"x".repeat(129)),
            Err(RoomNameError::TooLong)
        );
        assert!(RoomName::parse(&"é".repeat(128)).is_ok());
        assert_eq!(RoomName::parse("a\nb"), Err(RoomNameError::NotPrintable));
        assert!(RoomName::parse("lobby 1").is_ok());
        assert_eq!(RoomName::parse("   "), Err(RoomNameError::Empty));
        assert_eq!(
            RoomName::parse("a\u{202E}b"),
            Err(RoomNameError::NotPrintable)
        );
    }

    #[test]
    fn scopes_follow_prefixes() {
        let scope = |name: &str| format!("{:?}", RoomName::parse(name).unwrap().scope());
        assert_eq!(scope("user:u1"), "User(\"u1\")");
        assert_eq!(scope("process:p1"), "Owned(Process, \"p1\")");
        assert_eq!(scope("media:m"), "Owned(Media, \"m\")");
        assert_eq!(scope("project:x"), "Project(\"x\")");
        assert_eq!(scope("project-123"), "Project(\"123\")");
        assert_eq!(scope("lobby"), "Open");
        assert_eq!(scope("other:thing"), "Open");
    }

    #[test]
    fn ownership_rules() {
        let alice = user("alice", &[], None);
        let admin = user("root", &["admin"], None);
        let scoped = user("bob", &[], Some(&["p1"]));
        let owned = RoomScope::Owned(ResourceKind::Process, "p");

        assert_eq!(authorize(&alice, RoomScope::User("alice"), None), Ok(()));
        assert_eq!(
            authorize(&alice, RoomScope::User("bob"), None),
            Err(RoomDenied::NotOwner)
        );
        assert_eq!(authorize(&alice, owned, Some("alice")), Ok(()));
        assert_eq!(
            authorize(&alice, owned, Some("bob")),
            Err(RoomDenied::NotOwner)
        );
        assert_eq!(authorize(&alice, owned, None), Err(RoomDenied::NotOwner));
        assert_eq!(authorize(&admin, owned, None), Ok(()));
        assert_eq!(authorize(&alice, RoomScope::Project("any"), None), Ok(()));
        assert_eq!(authorize(&scoped, RoomScope::Project("p1"), None), Ok(()));
        assert_eq!(
            authorize(&scoped, RoomScope::Project("p2"), None),
            Err(RoomDenied::ProjectNotAllowed)
        );
        assert_eq!(authorize(&scoped, RoomScope::Open, None), Ok(()));
    }
}
