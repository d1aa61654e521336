//! The arguments of one incoming event, decoded leniently.
//!
//! socketioxide's `Data<T>` skips a handler whose payload does not decode,
//! which would leave a client without an answer. [`Args`] instead reads the
//! raw packet (`["event", arg, ...]`) so every handler sees what was sent,
//! in either form the seeds use (`'id'` or `{id: 'id'}`), and can refuse it
//! with a clear error. The ack callback never appears here: Socket.IO carries
//! it as a packet id, not an argument.
//!
//! Decoding happens in arrival order, so this is also where an event takes
//! its [`Ticket`] in the socket's event order, or is refused one when too
//! many of the socket's events already wait. Handlers take `Args` as their
//! last argument: every other extractor has succeeded by then, so a ticket
//! is only taken for an event whose handler will run.

use std::convert::Infallible;
use std::sync::Arc;

use serde_json::Value as Json;
use socketioxide::adapter::Adapter;
use socketioxide::handler::{FromMessageParts, Value};
use socketioxide::socket::Socket;

use super::session::{Refused, Session, Ticket};

/// The decoded arguments of an event and the size of the packet that carried them.
#[derive(Debug)]
pub struct Args {
    values: Vec<Json>,
    bytes: usize,
    place: Place,
}

/// Where an event stands in its socket's event order.
#[derive(Debug)]
pub enum Place {
    /// Outside any order (the socket has no session).
    Unordered,
    /// Waits for its turn.
    Ticket(Ticket),
    /// Got no ticket.
    Refused(Refused),
}

impl Args {
    #[cfg(test)]
    pub fn from_packet(raw: &str) -> Self {
        Self::decode(raw)
    }

    fn decode(raw: &str) -> Self {
        let values = match serde_json::from_str::<Vec<Json>>(raw) {
            // The first element is the event name.
            Ok(mut all) if !all.is_empty() => all.split_off(1),
            _ => Vec::new(),
        };
        Args {
            values,
            bytes: raw.len(),
            place: Place::Unordered,
        }
    }

    /// The event's place in its socket's event order.
    pub fn place(&self) -> &Place {
        &self.place
    }

    /// The first argument, if any was sent.
    pub fn first(&self) -> Option<&Json> {
        self.values.first()
    }

    /// Size in bytes of the packet's JSON text.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// A string given bare (`'x'`) or as `{key: 'x'}`. `Ok(None)` when no
    /// argument was sent; `Err` when one was sent in another shape.
    pub fn string_or_field(&self, key: &str) -> Result<Option<&str>, ()> {
        match self.first() {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(value)) => Ok(Some(value)),
            Some(Json::Object(fields)) => match fields.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::String(value)) => Ok(Some(value)),
                Some(_) => Err(()),
            },
            Some(_) => Err(()),
        }
    }

    /// A number given bare (`1700000000000`) or as `{key: n}`, with the same
    /// `Ok(None)` / `Err` rules as [`Args::string_or_field`].
    pub fn number_or_field(&self, key: &str) -> Result<Option<f64>, ()> {
        match self.first() {
            None | Some(Json::Null) => Ok(None),
            Some(Json::Number(n)) => Ok(n.as_f64()),
            Some(Json::Object(fields)) => match fields.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::Number(n)) => Ok(n.as_f64()),
                Some(_) => Err(()),
            },
            Some(_) => Err(()),
        }
    }
}

impl<A: Adapter> FromMessageParts<A> for Args {
    type Error = Infallible;

    fn from_message_parts(
        socket: &Arc<Socket<A>>,
        value: &mut Value,
        _ack_id: &Option<i64>,
    ) -> Result<Self, Infallible> {
        let mut args = match value.as_str() {
            Some(raw) => Args::decode(raw),
            // A binary packet carries no JSON arguments we understand.
            None => Args {
                values: Vec::new(),
                bytes: value.len(),
                place: Place::Unordered,
            },
        };
        if let Some(session) = socket.extensions.get::<Session>() {
            args.place = match session.ticket() {
                Ok(ticket) => Place::Ticket(ticket),
                Err(refused) => Place::Refused(refused),
            };
        }
        Ok(args)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_forms_and_absence() {
        let bare = Args::from_packet(r#"["joinRoom","lobby"]"#);
        assert_eq!(bare.string_or_field("room"), Ok(Some("lobby")));
        let object = Args::from_packet(r#"["joinRoom",{"room":"lobby"}]"#);
        assert_eq!(object.string_or_field("room"), Ok(Some("lobby")));
        let none = Args::from_packet(r#"["joinRoom"]"#);
        assert_eq!(none.string_or_field("room"), Ok(None));
        let wrong = Args::from_packet(r#"["joinRoom",42]"#);
        assert_eq!(wrong.string_or_field("room"), Err(()));
        let wrong_field = Args::from_packet(r#"["joinRoom",{"room":[1]}]"#);
        assert_eq!(wrong_field.string_or_field("room"), Err(()));
        assert_eq!(bare.bytes(), r#"["joinRoom","lobby"]"#.len());
    }
}
