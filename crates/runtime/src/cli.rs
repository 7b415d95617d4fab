//! Command-line options every stage binary shares, and the mapping from errors to exit codes.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::PipelineConfig;
use crate::error::{ConfigError, LockedError, UsageError};
use crate::logging::{self, LogFormat};

/// Options common to every stage.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonArgs {
    /// Settings file; relative paths inside it are resolved against its folder.
    #[arg(long, value_name = "PATH", default_value = "pipeline.toml")]
    pub config: PathBuf,

    /// Rerun the stage even when its outputs are up to date.
    #[arg(long)]
    pub force: bool,

    /// More log output: -v for debug, -vv for trace. The LORASEARCH_LOG variable takes precedence.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Log line format on stderr: text, or json (one object per line, for schedulers).
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "text")]
    pub log_format: LogFormat,
}

impl CommonArgs {
    pub fn init_logging(&self) {
        logging::init(self.verbose, self.log_format);
    }

    /// Loads the settings file named by `--config`, sets the compute thread count from it and
    /// sets the allocator to reuse freed buffers. Call it before any other thread starts.
    pub fn load_config(&self) -> Result<PipelineConfig, ConfigError> {
        let config = PipelineConfig::load(&self.config)?;
        crate::threads::configure(config.pipeline.threads);
        crate::memory::keep_freed_memory();
        Ok(config)
    }
}

/// Exit code for a binary's result: 0 success, 2 bad usage or settings, 1 any other failure.
pub fn exit_code(result: anyhow::Result<()>) -> ExitCode {
    let Err(error) = result else { return ExitCode::SUCCESS };
    tracing::error!("{error:#}");
    if !tracing::enabled!(tracing::Level::ERROR) {
        // Written without `eprintln!`, which panics when stderr is closed.
        let _ = writeln!(std::io::stderr(), "error: {error:#}");
    }
    let is_usage = error.chain().any(|cause| cause.is::<ConfigError>() || cause.is::<UsageError>());
    let is_locked = error.chain().any(|cause| cause.is::<LockedError>());
    if is_usage && !is_locked { ExitCode::from(2) } else { ExitCode::from(1) }
}
