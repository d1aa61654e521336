//! The SVG bar chart next to the tables: memory per idle connection and
//! fan-out rate, both servers side by side.

use std::fmt::Write as _;

use super::numbers::human;
use super::stats::spread;
use crate::server::Kind;
use crate::suite::{Record, Scenario};

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
    use super::chart;
    use crate::report::fixtures::sample;

    #[test]
    fn chart_is_svg_with_both_servers() {
        let svg = chart(&sample());
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        assert!(svg.contains("Switchboard") && svg.contains("Node socket.io"));
        assert!(svg.contains("target 10.0"));
    }
}
