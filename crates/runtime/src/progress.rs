//! Progress bars that stay out of logs: hidden when stderr is not a terminal or logs are JSON.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

static HIDDEN: AtomicBool = AtomicBool::new(false);

/// Hides every progress bar created after this call (used for JSON logs).
pub fn hide_all() {
    HIDDEN.store(true, Ordering::Relaxed);
}

/// Creates a bar that counts `total` items of `unit` (for example "pairs" or "texts").
pub fn items_bar(total: u64, message: &str, unit: &str) -> ProgressBar {
    let template = format!("{{msg}} [{{bar:30}}] {{human_pos}}/{{human_len}} {unit} ({{per_sec}}, eta {{eta}})");
    bar(total, message, &template)
}

/// Creates a bar that counts bytes.
pub fn bytes_bar(total: u64, message: &str) -> ProgressBar {
    bar(total, message, "{msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, eta {eta})")
}

fn bar(total: u64, message: &str, template: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), draw_target());
    let style = ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style.progress_chars("=> "));
    bar.set_message(message.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn draw_target() -> ProgressDrawTarget {
    if HIDDEN.load(Ordering::Relaxed) {
        ProgressDrawTarget::hidden()
    } else {
        // indicatif hides the bar by itself when stderr is not a terminal.
        ProgressDrawTarget::stderr()
    }
}
