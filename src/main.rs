//! The `entrace` binary: parse the command line, call the library, map the
//! outcome to an exit code (0 clean, 1 something rejected, 2 fatal).

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{Cli, Command, ConvertArgs, SchemaFormat};
use entrace::convert::{convert, narrate, ConvertOptions};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("entrace: error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> entrace::error::Result<ExitCode> {
    match cli.command {
        Command::Run(args) | Command::Convert(args) => run_convert(args),
        Command::Schema(args) => {
            let text = match args.format {
                SchemaFormat::Text => entrace::schema::text(),
                SchemaFormat::Md => entrace::schema::markdown(),
                SchemaFormat::Json => serde_json::to_string_pretty(&entrace::schema::columns())
                    .map_err(|e| entrace::error::Error::Internal(e.to_string()))?,
            };
            let mut out = std::io::stdout().lock();
            // A closed pipe (`| head`) is not an error.
            let _ = writeln!(out, "{}", text.trim_end());
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_convert(args: ConvertArgs) -> entrace::error::Result<ExitCode> {
    let opts = ConvertOptions {
        evidence: args.evidence,
        out_dir: args.output,
        force: args.force,
        keep_raw: !args.no_raw,
        strict: args.strict,
        threads: args.threads,
        max_decompressed_size: args.max_decompressed_size,
        progress: !args.quiet,
        arguments: std::env::args().collect(),
    };
    let outcome = convert(&opts)?;
    if !args.quiet {
        eprintln!(
            "{}",
            narrate(&outcome.manifest, outcome.elapsed, &outcome.out_dir)
        );
    }
    Ok(if outcome.rejected() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
