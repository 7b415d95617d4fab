//! `tracing` set-up shared by every binary: quiet text logs by default, JSON for schedulers.

use std::io::IsTerminal;

use clap::ValueEnum;
use tracing_subscriber::EnvFilter;

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines on stderr.
    Text,
    /// One JSON object per line on stderr; progress bars are hidden.
    Json,
}

/// Environment variable with a `tracing` filter (for example `debug` or `lorasearch_data=trace`);
/// it takes precedence over `-v`.
pub const LOG_ENV: &str = "LORASEARCH_LOG";

/// Installs the global subscriber. `verbosity` counts `-v` flags: 0 info, 1 debug, 2+ trace.
pub fn init(verbosity: u8, format: LogFormat) {
    let level = match verbosity {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new(level));
    let colour = std::io::stderr().is_terminal();
    // A closed stderr (for example `2>&1 | head`) must not turn log lines into a panic.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .log_internal_errors(false);
    let result = match format {
        LogFormat::Text => builder.with_target(false).without_time().try_init(),
        LogFormat::Json => {
            crate::progress::hide_all();
            builder.json().with_current_span(false).try_init()
        }
    };
    // A second call (as in tests that run several stages in one process) keeps the first set-up.
    let _ = result;
}
