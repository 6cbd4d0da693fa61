//! The `entrace` binary: parse the command line, call the library, map the
//! outcome to an exit code (0 clean, 1 something rejected, 2 fatal).

mod cli;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use cli::{
    Cli, Command, ConvertArgs, DetectArgs, GenerateArgs, GenerateProfile, GenerateShape,
    ReportArgs, SchemaFormat, TimelineArgs, TimelineFormat,
};
use entrace::convert::{convert, narrate, ConvertOptions};
use entrace::detect::config::Config;
use entrace::error::Error;
use entrace::report::timeline as view;

/// mimalloc instead of the system allocator: the converter allocates and
/// frees column buffers of every size from several threads, and glibc's
/// malloc spent a quarter of the run consolidating and re-zeroing them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
        Command::Run(args) => {
            let config = detection_config(&args.detect)?;
            run_convert(
                args.convert,
                Some((&config, &args.stage2.options(), &args.report)),
            )
        }
        Command::Convert(args) => run_convert(args, None),
        Command::Analyze(args) => {
            let config = detection_config(&args.detect)?;
            in_pool(args.parallel.threads, || {
                entrace::analyze::analyze(&args.out_dir, &config, &args.stage2.options())?;
                report(&args.out_dir, &args.report, args.quiet)
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report(args) => {
            report(&args.out_dir, &args.report, args.quiet)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Timeline(args) => run_timeline(args),
        Command::Verify(args) => {
            let v = entrace::verify::verify(&args.out_dir, &args.evidence)?;
            for finding in &v.findings {
                println!("{}", entrace::text::escape_control(&finding.to_string()));
            }
            if !args.quiet {
                eprintln!("{}", v.summary());
                eprintln!("manifest.json sha256 {}", v.manifest_sha256);
            }
            Ok(if v.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Generate(args) => run_generate(&args),
        Command::Detections(args) => {
            let text = match args.format {
                SchemaFormat::Text => entrace::detect::catalogue::text(),
                SchemaFormat::Md => entrace::detect::catalogue::markdown(),
                SchemaFormat::Json => {
                    serde_json::to_string_pretty(&entrace::detect::catalogue::entries())
                        .map_err(|e| Error::Internal(e.to_string()))?
                }
            };
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{}", text.trim_end());
            Ok(ExitCode::SUCCESS)
        }
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

/// The thresholds: defaults, then the TOML file, then each `--set`.
fn detection_config(args: &DetectArgs) -> entrace::error::Result<Config> {
    let mut config = Config::default();
    if let Some(path) = &args.config {
        config.apply_toml(path)?;
    }
    for s in &args.set {
        config.apply_set(s)?;
    }
    Ok(config)
}

/// Writes the report files of an analysed `out_dir` and prints the summary
/// on stdout (colour on a terminal unless NO_COLOR), unless `quiet`.
fn report(out_dir: &std::path::Path, args: &ReportArgs, quiet: bool) -> entrace::error::Result<()> {
    let formats = args.formats();
    if formats.is_empty() && quiet {
        return entrace::report::remove(out_dir);
    }
    let (report, written) = entrace::report::write(out_dir, &formats)?;
    if quiet {
        return Ok(());
    }
    let shown: Vec<String> = written
        .iter()
        .map(|f| out_dir.join(f).display().to_string())
        .collect();
    let mut out = anstream::AutoStream::auto(std::io::stdout().lock());
    let colour = !matches!(out.current_choice(), anstream::ColorChoice::Never);
    let dir = out_dir.display().to_string();
    match entrace::report::terminal::write_summary(&report, &dir, &shown, colour, &mut out) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(Error::Internal(format!("writing to stdout: {e}")))
        }
        _ => Ok(()),
    }
}

/// Runs stage 2 (`f`) on `threads` worker threads (0: one per core), as
/// `-j` asks; stage 1 builds its own pool from the same option.
fn in_pool<T: Send>(
    threads: usize,
    f: impl FnOnce() -> entrace::error::Result<T> + Send,
) -> entrace::error::Result<T> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| Error::Internal(format!("cannot start worker threads: {e}")))?
        .install(f)
}

fn run_convert(
    args: ConvertArgs,
    analyze_with: Option<(&Config, &entrace::analyze::Options, &ReportArgs)>,
) -> entrace::error::Result<ExitCode> {
    let opts = ConvertOptions {
        evidence: args.evidence,
        out_dir: args.output,
        force: args.force,
        keep_raw: !args.no_raw,
        strict: args.strict,
        threads: args.parallel.threads,
        max_decompressed_size: args.max_decompressed_size,
        progress: !args.quiet,
        arguments: std::env::args().collect(),
    };
    let outcome = convert(&opts)?;
    match analyze_with {
        None if !args.quiet => eprintln!(
            "{}",
            narrate(&outcome.manifest, outcome.elapsed, &outcome.out_dir)
        ),
        None => {}
        Some((config, options, reports)) => in_pool(args.parallel.threads, || {
            let analysed = entrace::analyze::analyze(&outcome.out_dir, config, options)?;
            if !args.quiet {
                eprintln!(
                    "converted in {:.2}s, analysed in {:.2}s",
                    outcome.elapsed.as_secs_f64(),
                    analysed.elapsed.as_secs_f64()
                );
            }
            report(&outcome.out_dir, reports, args.quiet)
        })?,
    }
    Ok(if outcome.rejected() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn run_timeline(args: TimelineArgs) -> entrace::error::Result<ExitCode> {
    let bound = |v: &Option<String>, end: bool| {
        v.as_deref()
            .map(|t| entrace::model::time::parse_bound(t, end).map_err(Error::Usage))
            .transpose()
    };
    let selection = view::Selection {
        user: args.user.clone(),
        since: bound(&args.since, false)?,
        until: bound(&args.until, true)?,
    };
    if !args
        .out_dir
        .join(entrace::table::stage2::timeline::Timeline::FILE)
        .is_file()
    {
        return Err(Error::Usage(format!(
            "{} has no {}: run `entrace analyze {}` first",
            args.out_dir.display(),
            entrace::table::stage2::timeline::Timeline::FILE,
            args.out_dir.display()
        )));
    }
    let rows = entrace::table::stage2::timeline::Timeline::read(&args.out_dir)?;
    let picked = view::select(&rows, &selection)?;
    let stdout = std::io::stdout();
    let result = match args.format {
        TimelineFormat::Table => {
            // anstream decides: colour on a terminal, none when piped or NO_COLOR is set.
            let mut out = anstream::AutoStream::auto(stdout.lock());
            let colour = !matches!(out.current_choice(), anstream::ColorChoice::Never);
            view::write_table(&picked, colour, &mut out)
        }
        TimelineFormat::Csv => view::write_csv(&picked, stdout.lock()),
        TimelineFormat::Jsonl => view::write_jsonl(&picked, stdout.lock()),
    };
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        // A closed pipe (`| head`) is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(e) => Err(Error::Internal(format!("writing to stdout: {e}"))),
    }
}

fn run_generate(args: &GenerateArgs) -> entrace::error::Result<ExitCode> {
    use entrace_generate::{generate, narrate, users_for_size, GenerateOptions, Profile, Shape};
    let mut shapes: Vec<Shape> = Vec::new();
    for s in &args.shapes {
        let add: &[Shape] = match s {
            GenerateShape::All => &Shape::ALL,
            GenerateShape::Compact => &[Shape::Compact],
            GenerateShape::Pretty => &[Shape::Pretty],
            GenerateShape::Gzip => &[Shape::Gzip],
            GenerateShape::Utf16 => &[Shape::Utf16],
            GenerateShape::Jsonl => &[Shape::Jsonl],
            GenerateShape::Array => &[Shape::Array],
            GenerateShape::Overlap => &[Shape::Overlap],
        };
        shapes.extend_from_slice(add);
    }
    shapes.sort_unstable();
    shapes.dedup();
    let profile = match args.profile {
        GenerateProfile::Default => Profile::Default,
        GenerateProfile::Realistic => Profile::Realistic,
    };
    let users = match (args.size, args.users) {
        (Some(mb), _) => users_for_size(mb, args.days, &shapes, profile),
        (None, Some(n)) => n,
        (None, None) => 2000,
    };
    if let Ok(mut entries) = std::fs::read_dir(&args.dir) {
        if entries.next().is_some() {
            return Err(Error::Usage(format!(
                "{} is not empty: generate writes into a new or empty directory",
                args.dir.display()
            )));
        }
    }
    let opts = GenerateOptions {
        users,
        days: args.days,
        seed: args.seed,
        records_per_page: args.records_per_page,
        shapes,
        profile,
        ..GenerateOptions::default()
    };
    let summary = generate(&opts, &args.dir)?;
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{}", narrate(&opts, &summary, &args.dir));
    Ok(ExitCode::SUCCESS)
}
