//! The few Engine.IO v4 / Socket.IO v5 text frames the scenarios speak,
//! read without building a JSON tree: the generator must stay cheaper than
//! the servers it measures.

/// A text frame received from the server, as far as the scenarios care.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// Engine.IO `open` (`0{...}`).
    Open,
    /// Engine.IO `ping` (`2`); the client answers `3`.
    Ping,
    /// Socket.IO `CONNECT` answer on the main namespace (`40{"sid":...}`).
    Connected,
    /// Socket.IO `CONNECT_ERROR` (`44{...}`), with its JSON body.
    ConnectError(&'a str),
    /// Socket.IO `EVENT` (`42["name",...]`).
    Event {
        /// The event name.
        name: &'a str,
        /// The whole frame after the packet type, for payload probes.
        body: &'a str,
    },
    /// Socket.IO `ACK` (`43<id>[...]`).
    Ack {
        /// The acknowledged packet id.
        id: u64,
        /// The JSON array of the answer.
        body: &'a str,
    },
    /// Anything else (close, noop, other namespaces).
    Other,
}

/// Reads one text frame.
pub fn parse(frame: &str) -> Frame<'_> {
    match frame.as_bytes() {
        [b'0', ..] => Frame::Open,
        [b'2'] => Frame::Ping,
        [b'4', b'0', ..] => Frame::Connected,
        [b'4', b'4', ..] => Frame::ConnectError(&frame[2..]),
        [b'4', b'2', ..] => {
            let body = &frame[2..];
            let array = body.trim_start_matches(|c: char| c.is_ascii_digit());
            match array
                .strip_prefix("[\"")
                .and_then(|rest| rest.split_once('"'))
            {
                Some((name, _)) => Frame::Event { name, body },
                None => Frame::Other,
            }
        }
        [b'4', b'3', ..] => {
            let rest = &frame[2..];
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            match rest[..digits].parse() {
                Ok(id) => Frame::Ack {
                    id,
                    body: &rest[digits..],
                },
                Err(_) => Frame::Other,
            }
        }
        _ => Frame::Other,
    }
}

/// The Engine.IO `pong` answering a server `ping`.
pub const PONG: &str = "3";

/// `CONNECT` to the main namespace, with the token in the auth payload.
pub fn connect(token: Option<&str>) -> String {
    match token {
        Some(token) => format!("40{}", serde_json::json!({ "token": token })),
        None => "40".to_owned(),
    }
}

/// An `EVENT` whose answer is expected as an `ACK` with `id`; `args` is the
/// JSON of the arguments after the name, without brackets (may be empty).
pub fn event_with_ack(id: u64, name: &str, args: &str) -> String {
    if args.is_empty() {
        format!("42{id}[\"{name}\"]")
    } else {
        format!("42{id}[\"{name}\",{args}]")
    }
}

/// The unsigned integer that follows `"key":` in `body`, if any; how the
/// scenarios read a timestamp or counter out of a payload they did not parse.
pub fn number_field(body: &str, key: &str) -> Option<u64> {
    let needle = format!("\"{key}\":");
    let start = body.find(&needle)? + needle.len();
    let digits = body[start..].bytes().take_while(u8::is_ascii_digit).count();
    body[start..start + digits].parse().ok()
}

/// The string that follows `"key":"` in `body`, if any.
pub fn string_field<'a>(body: &'a str, key: &str) -> Option<&'a str> {
    let needle = format!("\"{key}\":\"");
    let start = body.find(&needle)? + needle.len();
    let end = body[start..].find('"')?;
    Some(&body[start..start + end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_engine_io_frames() {
        assert_eq!(parse(r#"0{"sid":"abc","pingInterval":25000}"#), Frame::Open);
        assert_eq!(parse("2"), Frame::Ping);
        assert_eq!(parse("2probe"), Frame::Other);
        assert_eq!(parse("6"), Frame::Other);
    }

    #[test]
    fn reads_socket_io_frames() {
        assert_eq!(parse(r#"40{"sid":"x"}"#), Frame::Connected);
        assert_eq!(
            parse(r#"44{"message":"Authentication error"}"#),
            Frame::ConnectError(r#"{"message":"Authentication error"}"#)
        );
        assert_eq!(
            parse(r#"42["pong",{"timestamp":1}]"#),
            Frame::Event {
                name: "pong",
                body: r#"["pong",{"timestamp":1}]"#
            }
        );
        assert_eq!(
            parse(r#"4217["bench",{}]"#),
            Frame::Event {
                name: "bench",
                body: r#"17["bench",{}]"#
            }
        );
        assert_eq!(
            parse(r#"4312[{"timestamp":5}]"#),
            Frame::Ack {
                id: 12,
                body: r#"[{"timestamp":5}]"#
            }
        );
        assert_eq!(parse("43[]"), Frame::Other, "an ack needs an id");
        assert_eq!(parse("42{}"), Frame::Other, "an event is an array");
        assert_eq!(parse("/media,40"), Frame::Other);
    }

    #[test]
    fn writes_frames() {
        assert_eq!(connect(None), "40");
        assert_eq!(connect(Some("a\"b")), r#"40{"token":"a\"b"}"#);
        assert_eq!(event_with_ack(3, "ping", ""), r#"423["ping"]"#);
        assert_eq!(
            event_with_ack(4, "joinRoom", r#""bench""#),
            r#"424["joinRoom","bench"]"#
        );
    }

    #[test]
    fn probes_payload_fields() {
        let body = r#"["bench",{"seq":7,"t":123456,"processId":"proc_9"}]"#;
        assert_eq!(number_field(body, "t"), Some(123_456));
        assert_eq!(number_field(body, "seq"), Some(7));
        assert_eq!(number_field(body, "missing"), None);
        assert_eq!(string_field(body, "processId"), Some("proc_9"));
        assert_eq!(number_field(r#"{"t":"x"}"#, "t"), None);
    }
}
