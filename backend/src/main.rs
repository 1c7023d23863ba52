//! The `vigie` binary: parse the command line, load the config, start logging, run.

use std::process::ExitCode;

use clap::Parser;
use vigie::config::{Cli, Command, Config};

/// Exit code for an invalid configuration.
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Openapi => {
            print!("{}", vigie::api::openapi().to_yaml().expect("the OpenAPI document serializes"));
            ExitCode::SUCCESS
        }
        Command::Sim(args) => {
            let runtime =
                tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime starts");
            match runtime.block_on(vigie::sim::run(args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("vigie sim: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::User(args) => match vigie::auth::user_command::run(args) {
            Ok(report) => {
                println!("{report}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("vigie user: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Export(args) => {
            match vigie::store::export::run(&args, &mut std::io::BufWriter::new(std::io::stdout().lock())) {
                Ok(_) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("vigie export: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve(args) => {
            env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
            let config = match Config::load(&args) {
                Ok(config) => config,
                Err(problems) => {
                    eprintln!("vigie: invalid configuration:");
                    for p in problems {
                        eprintln!("  - {p}");
                    }
                    return ExitCode::from(EXIT_CONFIG);
                }
            };
            let runtime =
                tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("tokio runtime starts");
            match runtime.block_on(vigie::app::run(config)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    log::error!("Vigie stopped: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}
