//! Turns a suite's records into the tables of `docs/BENCHMARKS.md` and a
//! chart: medians and ranges over repeats, Switchboard/Node ratios, and
//! whether each target is met.

use std::fmt::Write as _;

use serde_json::Value;

use crate::server::Kind;
use crate::suite::{Record, Scenario};

/// Which direction is better for a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Better {
    Higher,
    Lower,
}

/// One number a scenario reports, found by JSON pointer.
struct Metric {
    scenario: Scenario,
    pointer: &'static str,
    label: &'static str,
    unit: &'static str,
    better: Better,
}

const METRICS: &[Metric] = &[
    Metric {
        scenario: Scenario::Idle,
        pointer: "/per_conn_bytes",
        label: "RSS per idle authenticated connection",
        unit: "B",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Fanout,
        pointer: "/msgs_per_s",
        label: "fan-out, messages delivered",
        unit: "/s",
        better: Better::Higher,
    },
    Metric {
        scenario: Scenario::Fanout,
        pointer: "/latency/p99_ms",
        label: "fan-out, publish → client p99",
        unit: "ms",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Ack,
        pointer: "/answered_per_s",
        label: "ack, answered",
        unit: "/s",
        better: Better::Higher,
    },
    Metric {
        scenario: Scenario::Ack,
        pointer: "/latency/p50_ms",
        label: "ack round trip p50",
        unit: "ms",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Ack,
        pointer: "/latency/p90_ms",
        label: "ack round trip p90",
        unit: "ms",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Ack,
        pointer: "/latency/p99_ms",
        label: "ack round trip p99",
        unit: "ms",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Ack,
        pointer: "/latency/p999_ms",
        label: "ack round trip p99.9",
        unit: "ms",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Handshake,
        pointer: "/per_s",
        label: "authenticated handshakes",
        unit: "/s",
        better: Better::Higher,
    },
    Metric {
        scenario: Scenario::Handshake,
        pointer: "/latency/p99_ms",
        label: "handshake p99",
        unit: "ms",
        better: Better::Lower,
    },
    Metric {
        scenario: Scenario::Stream,
        pointer: "/deltas_per_s",
        label: "Claude stream, text deltas delivered",
        unit: "/s",
        better: Better::Higher,
    },
];

/// Median and range of one metric over repeats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    /// Median.
    pub median: f64,
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
}

impl Spread {
    /// The spread of `values`; `None` when empty.
    pub fn of(values: &[f64]) -> Option<Spread> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let median = match n {
            0 => return None,
            _ if n % 2 == 1 => sorted[n / 2],
            _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
        };
        Some(Spread {
            median,
            min: sorted[0],
            max: sorted[n - 1],
        })
    }
}

/// The values of `pointer` in the successful runs of `scenario` on `server`.
fn values(records: &[Record], scenario: Scenario, server: Kind, pointer: &str) -> Vec<f64> {
    records
        .iter()
        .filter(|r| r.scenario == scenario && r.server == server && !r.failed())
        .filter_map(|r| r.result.pointer(pointer).and_then(Value::as_f64))
        .collect()
}

/// The spread of a metric.
pub fn spread(
    records: &[Record],
    scenario: Scenario,
    server: Kind,
    pointer: &str,
) -> Option<Spread> {
    Spread::of(&values(records, scenario, server, pointer))
}

/// A number as people read it: thousands separated, a sensible precision.
pub fn human(value: f64) -> String {
    if value.abs() >= 100.0 {
        let whole = value.round() as i64;
        let digits = whole.abs().to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if whole < 0 {
            format!("-{grouped}")
        } else {
            grouped
        }
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn cell(spread: Option<Spread>, unit: &str) -> String {
    match spread {
        None => "—".to_owned(),
        Some(s) if s.min == s.max => format!("{} {unit}", human(s.median)),
        Some(s) => format!(
            "{} {unit} ({}–{})",
            human(s.median),
            human(s.min),
            human(s.max)
        ),
    }
}

/// Facts about the run printed above the tables.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// The machine, one line.
    pub machine: String,
    /// Versions of what ran.
    pub versions: String,
    /// When.
    pub date: String,
    /// Repeats of each scenario.
    pub repeats: usize,
}

/// The generated part of `docs/BENCHMARKS.md`, markers included.
pub fn markdown(records: &[Record], context: &Context, chart_file: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{BEGIN}");
    let _ = writeln!(
        out,
        "## Socket.IO load: Switchboard and a hand-written Node server\n"
    );
    let _ = writeln!(
        out,
        "Generated by `scripts/bench` on {}. {}. {}.\n",
        context.date, context.machine, context.versions
    );
    let _ = writeln!(
        out,
        "Every scenario ran {} times against each server, the two servers \
         interleaved (their order alternates between repeats), each run on a \
         freshly started server on loopback, websocket transport, JWT in the \
         handshake. Cells are medians with the range over repeats in parentheses. \
         Raw results, one JSON line per run: `target/bench/results.jsonl`.\n",
        context.repeats
    );
    let _ = writeln!(
        out,
        "| scenario | metric | Switchboard | Node | Switchboard/Node |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for metric in METRICS {
        let sb = spread(records, metric.scenario, Kind::Switchboard, metric.pointer);
        let node = spread(records, metric.scenario, Kind::Node, metric.pointer);
        let ratio = match (sb, node) {
            (Some(sb), Some(node)) if node.median > 0.0 => {
                let ratio = sb.median / node.median;
                let better = match metric.better {
                    Better::Higher => ratio >= 1.0,
                    Better::Lower => ratio <= 1.0,
                };
                format!("{ratio:.2}×{}", if better { "" } else { " (worse)" })
            }
            _ => "—".to_owned(),
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {ratio} |",
            scenario_name(metric.scenario),
            metric.label,
            cell(sb, metric.unit),
            cell(node, metric.unit)
        );
    }
    let _ = writeln!(out, "\n### Targets\n");
    let _ = writeln!(out, "| target | measured | met |");
    let _ = writeln!(out, "|---|---|---|");
    for target in targets(records) {
        let _ = writeln!(
            out,
            "| {} | {} | {} |",
            target.name,
            target.measured,
            match target.met {
                Some(true) => "yes",
                Some(false) => "**no**",
                None => "not measured",
            }
        );
    }
    let _ = writeln!(out, "\n### Idle memory by connection count (medians)\n");
    let _ = writeln!(
        out,
        "| connections | Switchboard RSS | per connection | Node RSS | per connection |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for (i, connections) in idle_levels(records).into_iter().enumerate() {
        let level = |kind: Kind, field: &str| {
            spread(
                records,
                Scenario::Idle,
                kind,
                &format!("/levels/{i}/{field}"),
            )
        };
        let mib = |s: Option<Spread>| {
            s.map(|s| Spread {
                median: s.median / 1024.0,
                min: s.min / 1024.0,
                max: s.max / 1024.0,
            })
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            human(connections as f64),
            cell(mib(level(Kind::Switchboard, "rss_kib")), "MiB"),
            cell(level(Kind::Switchboard, "per_conn_bytes"), "B"),
            cell(mib(level(Kind::Node, "rss_kib")), "MiB"),
            cell(level(Kind::Node, "per_conn_bytes"), "B"),
        );
    }
    let _ = writeln!(
        out,
        "\n### CPU while measuring (medians, % of one core; 200 % is the whole machine)\n"
    );
    let _ = writeln!(
        out,
        "| scenario | Switchboard | load generator | Node | load generator |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|");
    for scenario in Scenario::ALL {
        let cpu = |kind: Kind, field: &str| {
            cell(spread(records, scenario, kind, &format!("/{field}")), "%")
        };
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            scenario_name(scenario),
            cpu(Kind::Switchboard, "server_cpu_pct"),
            cpu(Kind::Switchboard, "loadgen_cpu_pct"),
            cpu(Kind::Node, "server_cpu_pct"),
            cpu(Kind::Node, "loadgen_cpu_pct"),
        );
    }
    let failures: Vec<&Record> = records.iter().filter(|r| r.failed()).collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\n### Failed runs\n");
        for record in failures {
            let _ = writeln!(
                out,
                "- {} on {} (repeat {}): {}",
                scenario_name(record.scenario),
                record.server.name(),
                record.repeat,
                record.result["error"].as_str().unwrap_or("?")
            );
        }
    }
    let _ = writeln!(
        out,
        "\n![Memory per idle connection and fan-out rate]({chart_file})\n"
    );
    let _ = writeln!(out, "{END}");
    out
}

/// Opens the generated part of the document.
pub const BEGIN: &str =
    "<!-- loadgen:begin: generated by scripts/bench, edits here are overwritten -->";
/// Closes it.
pub const END: &str = "<!-- loadgen:end -->";

/// `document` with its generated part replaced by `generated` (appended
/// when there is none yet).
pub fn splice(document: &str, generated: &str) -> String {
    match (document.find(BEGIN), document.find(END)) {
        (Some(begin), Some(end)) if begin < end => {
            let after = &document[end + END.len()..];
            format!("{}{}{}", &document[..begin], generated.trim_end(), after)
        }
        _ => format!("{}\n\n{}", document.trim_end(), generated),
    }
}

fn scenario_name(scenario: Scenario) -> &'static str {
    match scenario {
        Scenario::Idle => "idle",
        Scenario::Fanout => "fan-out",
        Scenario::Ack => "ack",
        Scenario::Handshake => "handshake",
        Scenario::Stream => "stream",
    }
}

fn idle_levels(records: &[Record]) -> Vec<u64> {
    records
        .iter()
        .find(|r| r.scenario == Scenario::Idle && !r.failed())
        .and_then(|r| r.result["levels"].as_array())
        .map(|levels| {
            levels
                .iter()
                .filter_map(|l| l["connections"].as_u64())
                .collect()
        })
        .unwrap_or_default()
}

/// One target of the comparison and how it went.
#[derive(Debug, PartialEq)]
pub struct Target {
    /// What is aimed for.
    pub name: &'static str,
    /// The median measured.
    pub measured: String,
    /// Met, missed, or not measured.
    pub met: Option<bool>,
}

/// The four targets, judged on the medians.
pub fn targets(records: &[Record]) -> Vec<Target> {
    let sb =
        |scenario, pointer| spread(records, scenario, Kind::Switchboard, pointer).map(|s| s.median);
    let node = |scenario, pointer| spread(records, scenario, Kind::Node, pointer).map(|s| s.median);
    let memory = sb(Scenario::Idle, "/per_conn_bytes");
    let fanout = sb(Scenario::Fanout, "/msgs_per_s").zip(node(Scenario::Fanout, "/msgs_per_s"));
    let ack_p99 = sb(Scenario::Ack, "/latency/p99_ms");
    let ack_rate = sb(Scenario::Ack, "/answered_per_s");
    let handshakes = sb(Scenario::Handshake, "/per_s");
    vec![
        Target {
            name: "at most 10 kB RSS per idle authenticated connection",
            measured: memory.map_or("—".into(), |m| format!("{} B", human(m))),
            met: memory.map(|m| m <= 10_000.0),
        },
        Target {
            name: "fan-out at least 10× the Node server",
            measured: fanout.map_or("—".into(), |(s, n)| format!("{:.1}×", s / n)),
            met: fanout.map(|(s, n)| s >= 10.0 * n),
        },
        Target {
            name: "ack p99 at most 1 ms at 20k req/s",
            measured: ack_p99.zip(ack_rate).map_or("—".into(), |(p99, rate)| {
                format!("{p99:.3} ms at {} req/s", human(rate))
            }),
            met: ack_p99
                .zip(ack_rate)
                .map(|(p99, rate)| p99 <= 1.0 && rate >= 19_000.0),
        },
        Target {
            name: "10k authenticated handshakes/s",
            measured: handshakes.map_or("—".into(), |h| format!("{}/s", human(h))),
            met: handshakes.map(|h| h >= 10_000.0),
        },
    ]
}

/// An SVG bar chart: memory per idle connection and fan-out rate, both servers.
pub fn chart(records: &[Record]) -> String {
    let median = |scenario, kind, pointer| {
        spread(records, scenario, kind, pointer).map_or(0.0, |s| s.median)
    };
    let panels = [
        (
            "RSS per idle connection (kB, lower is better)",
            median(Scenario::Idle, Kind::Switchboard, "/per_conn_bytes") / 1000.0,
            median(Scenario::Idle, Kind::Node, "/per_conn_bytes") / 1000.0,
            Some(10.0_f64),
        ),
        (
            "Fan-out (thousand messages/s, higher is better)",
            median(Scenario::Fanout, Kind::Switchboard, "/msgs_per_s") / 1000.0,
            median(Scenario::Fanout, Kind::Node, "/msgs_per_s") / 1000.0,
            None,
        ),
    ];
    let (width, height, panel_width) = (760.0, 320.0, 380.0);
    let mut svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
"#
    );
    for (p, (title, sb, node, target)) in panels.into_iter().enumerate() {
        let x0 = p as f64 * panel_width;
        let top = target.unwrap_or(0.0_f64).max(sb).max(node).max(1e-9) * 1.15;
        let (base, plot) = (270.0, 210.0);
        let _ = writeln!(
            svg,
            r#"<text x="{}" y="28" text-anchor="middle" font-weight="bold">{title}</text>"#,
            x0 + panel_width / 2.0
        );
        let _ = writeln!(
            svg,
            r#"<line x1="{}" y1="{base}" x2="{}" y2="{base}" stroke="black"/>"#,
            x0 + 40.0,
            x0 + panel_width - 30.0
        );
        for (i, (name, value, colour)) in [
            ("Switchboard", sb, "#2b6cb0"),
            ("Node socket.io", node, "#c05621"),
        ]
        .into_iter()
        .enumerate()
        {
            let h = plot * value / top;
            let x = x0 + 80.0 + i as f64 * 140.0;
            let _ = writeln!(
                svg,
                r#"<rect x="{x}" y="{:.1}" width="90" height="{h:.1}" fill="{colour}"/>"#,
                base - h
            );
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                x + 45.0,
                base - h - 6.0,
                human(value)
            );
            let _ = writeln!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{name}</text>"#,
                x + 45.0,
                base + 18.0
            );
        }
        if let Some(target) = target {
            let y = base - plot * target / top;
            let _ = writeln!(
                svg,
                r#"<line x1="{}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="green" stroke-dasharray="6 4"/>"#,
                x0 + 40.0,
                x0 + panel_width - 30.0
            );
            let _ = writeln!(
                svg,
                r#"<text x="{}" y="{:.1}" fill="green">target {}</text>"#,
                x0 + 44.0,
                y - 4.0,
                human(target)
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(scenario: Scenario, server: Kind, repeat: usize, result: Value) -> Record {
        Record {
            scenario,
            server,
            repeat,
            result,
        }
    }

    fn sample() -> Vec<Record> {
        let mut records = Vec::new();
        for (repeat, (sb, node)) in [
            (9_000.0, 14_000.0),
            (9_500.0, 13_000.0),
            (8_000.0, 15_000.0),
        ]
        .into_iter()
        .enumerate()
        {
            records.push(record(Scenario::Idle, Kind::Switchboard, repeat, json!({"per_conn_bytes": sb, "levels": [{"connections": 1000, "rss_kib": 20_000, "per_conn_bytes": sb}]})));
            records.push(record(Scenario::Idle, Kind::Node, repeat, json!({"per_conn_bytes": node, "levels": [{"connections": 1000, "rss_kib": 60_000, "per_conn_bytes": node}]})));
            records.push(record(
                Scenario::Fanout,
                Kind::Switchboard,
                repeat,
                json!({"msgs_per_s": 700_000.0 + repeat as f64}),
            ));
            records.push(record(
                Scenario::Fanout,
                Kind::Node,
                repeat,
                json!({"msgs_per_s": 68_000.0}),
            ));
        }
        records.push(record(
            Scenario::Ack,
            Kind::Switchboard,
            0,
            json!({"error": "server gone"}),
        ));
        records
    }

    #[test]
    fn spreads_are_medians_and_ranges() {
        assert_eq!(
            Spread::of(&[3.0, 1.0, 2.0]),
            Some(Spread {
                median: 2.0,
                min: 1.0,
                max: 3.0
            })
        );
        assert_eq!(Spread::of(&[4.0, 1.0]).unwrap().median, 2.5);
        assert_eq!(Spread::of(&[]), None);
        assert_eq!(Spread::of(&[f64::NAN]), None);
    }

    #[test]
    fn numbers_read_well() {
        assert_eq!(human(1_234_567.4), "1,234,567");
        assert_eq!(human(-1234.0), "-1,234");
        assert_eq!(human(12.345), "12.3");
        assert_eq!(human(0.4567), "0.46");
    }

    #[test]
    fn targets_are_judged_on_medians_and_failures_do_not_count() {
        let records = sample();
        let targets = targets(&records);
        assert_eq!(targets[0].met, Some(true), "median 9,000 B");
        assert_eq!(targets[0].measured, "9,000 B");
        assert_eq!(targets[1].met, Some(true), "{:?}", targets[1]);
        assert_eq!(targets[2].met, None, "the only ack run failed");
        assert_eq!(targets[3].met, None);
    }

    #[test]
    fn markdown_has_tables_ratios_and_failures() {
        let records = sample();
        let text = markdown(
            &records,
            &Context {
                repeats: 3,
                ..Context::default()
            },
            "chart.svg",
        );
        assert!(text.starts_with(BEGIN) && text.trim_end().ends_with(END));
        assert!(text.contains("| idle | RSS per idle authenticated connection | 9,000 B (8,000–9,500) | 14,000 B (13,000–15,000) | 0.64× |"), "{text}");
        assert!(text.contains("10.29×"), "{text}");
        assert!(text.contains("ack on switchboard (repeat 0): server gone"));
        assert!(text.contains("![Memory per idle connection and fan-out rate](chart.svg)"));
    }

    #[test]
    fn splice_replaces_only_the_generated_part() {
        let generated = format!("{BEGIN}\nnew\n{END}\n");
        let document = format!("# Benchmarks\n\nhand\n\n{BEGIN}\nold\n{END}\n\n## After\n");
        let spliced = splice(&document, &generated);
        assert_eq!(
            spliced,
            format!("# Benchmarks\n\nhand\n\n{BEGIN}\nnew\n{END}\n\n## After\n")
        );
        let appended = splice("# Benchmarks\n", &generated);
        assert_eq!(appended, format!("# Benchmarks\n\n{generated}"));
    }

    #[test]
    fn chart_is_svg_with_both_servers() {
        let svg = chart(&sample());
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("Switchboard") && svg.contains("Node socket.io"));
        assert!(svg.contains("target 10.0"));
    }
}
