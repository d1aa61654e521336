//! Prometheus metrics of one node, exposed at `/metrics`.
//!
//! Label values are bounded: namespaces are the registered ones, event names
//! are the handled ones (anything else counts as `unknown`), and auth failure
//! codes come from [`TokenError::code`](switchboard_core::TokenError::code).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct NamespaceLabel {
    namespace: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabel {
    event: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabel {
    code: String,
}

/// The node's counters and gauges.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    connections: Family<NamespaceLabel, Gauge>,
    events_received: Family<EventLabel, Counter>,
    auth_failures: Family<CodeLabel, Counter>,
    rate_limit_failed_open: Counter,
    connections_refused: Family<ReasonLabel, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("switchboard");
        let connections = Family::<NamespaceLabel, Gauge>::default();
        let events_received = Family::<EventLabel, Counter>::default();
        let auth_failures = Family::<CodeLabel, Counter>::default();
        registry.register(
            "connections",
            "Open Socket.IO connections by namespace",
            connections.clone(),
        );
        registry.register(
            "events_received",
            "Socket.IO events received by event name",
            events_received.clone(),
        );
        registry.register(
            "auth_failures",
            "Refused tokens by reason code",
            auth_failures.clone(),
        );
        let rate_limit_failed_open = Counter::default();
        registry.register(
            "rate_limit_failed_open",
            "Executes allowed unchecked because the rate limit store was unreachable",
            rate_limit_failed_open.clone(),
        );
        let connections_refused = Family::<ReasonLabel, Counter>::default();
        registry.register(
            "connections_refused",
            "TCP connections closed by the transport limits, by reason \
             (per_ip_limit, header_timeout)",
            connections_refused.clone(),
        );
        Metrics {
            registry,
            connections,
            events_received,
            auth_failures,
            rate_limit_failed_open,
            connections_refused,
        }
    }
}

impl Metrics {
    /// Shows `namespace` in the output even before anyone connects.
    pub fn track_namespace(&self, namespace: &str) {
        self.connection_gauge(namespace);
    }

    /// A socket joined `namespace`.
    pub fn connected(&self, namespace: &str) {
        self.connection_gauge(namespace).inc();
    }

    /// A socket left `namespace`.
    pub fn disconnected(&self, namespace: &str) {
        self.connection_gauge(namespace).dec();
    }

    /// An event arrived; pass `"unknown"` for events without a handler.
    pub fn event_received(&self, event: &'static str) {
        self.events_received
            .get_or_create(&EventLabel {
                event: event.to_owned(),
            })
            .inc();
    }

    /// A token was refused for `code`.
    pub fn auth_failed(&self, code: &'static str) {
        self.auth_failures
            .get_or_create(&CodeLabel {
                code: code.to_owned(),
            })
            .inc();
    }

    /// An execute was allowed without a rate-limit check.
    pub fn rate_limit_failed_open(&self) {
        self.rate_limit_failed_open.inc();
    }

    /// A connection was closed by a transport limit (`per_ip_limit` at
    /// accept, `header_timeout` for a request head too slow).
    pub fn connection_refused(&self, reason: &'static str) {
        self.connections_refused
            .get_or_create(&ReasonLabel {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// The metrics in the text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    fn connection_gauge(&self, namespace: &str) -> Gauge {
        self.connections
            .get_or_create(&NamespaceLabel {
                namespace: namespace.to_owned(),
            })
            .clone()
    }
}
