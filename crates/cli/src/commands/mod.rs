//! One file per subcommand.

mod baseline;
mod hunt;
mod rules;
mod scan;
mod serve;
mod who_can;

use crate::args::{Cli, ColorChoice, Command};
use crate::exit::Status;

/// Run the parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Status> {
    match cli.command {
        Command::Hunt(args) => hunt::run(args),
        Command::Scan(args) => scan::run(args),
        Command::WhoCan(args) => who_can::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Baseline(cmd) => baseline::run(cmd),
        Command::Rules(args) => rules::run(args),
    }
}

/// Apply a `--color` choice to anstream's global setting.
pub fn apply_color(choice: ColorChoice) {
    match choice {
        ColorChoice::Auto => {}
        ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
    }
}

/// Read the config file, or the defaults.
pub fn load_config(path: Option<&std::path::Path>) -> anyhow::Result<jobwarden_detect::Config> {
    use anyhow::Context;
    match path {
        Some(path) => jobwarden_detect::Config::from_file(path)
            .with_context(|| format!("in config {}", path.display())),
        None => Ok(jobwarden_detect::Config::default()),
    }
}
