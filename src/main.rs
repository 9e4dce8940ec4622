//! `forloeb` binary: parse flags, call the library, print errors once, exit by policy
//! (0 ok, 1 failure, 2 bad input).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use forloeb::cli::{BenchArgs, Cli, Command, ExtractArgs, Format, ReportArgs};
use forloeb::{
    case_sample, dates, reference::Reference, synth, CaseSampleRequest, Error, RunRequest,
};

/// Polars allocates and frees large buffers at a high rate; mimalloc keeps them for reuse where
/// the system allocator unmaps and refaults them.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // A closed pipe (`forloeb validate | head`) ends the program quietly, as it does other Unix
    // tools, instead of a panic on the next print.
    // SAFETY: restoring the default action of one signal before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // No transparent huge pages: mimalloc asks for them on its arenas, and then every page fault
    // zeroes 2 MiB, much of it for buffers that are freed and purged soon after. On 1M persons
    // (`/usr/bin/time -v`, median of 3, alternated) the run took 34.1 s with them and 30.1 s
    // without, at the same peak memory. A failure (an old kernel) leaves them on.
    // SAFETY: sets a flag of this process's memory map; no memory is touched.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    // Freed memory goes back to the system after each stage and step function (`alloc`).
    // SAFETY: `mi_collect` only walks and purges mimalloc's own free lists; any thread may call it.
    forloeb::alloc::set_release_hook(|| unsafe { libmimalloc_sys::mi_collect(true) });
    let cli = Cli::parse();
    match dispatch(cli.command) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let message = e.to_string();
            eprintln!("error: {message}");
            // A cause the message already quotes is not printed again.
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                let text = cause.to_string();
                if !message.contains(&text) {
                    eprintln!("  caused by: {text}");
                }
                source = cause.source();
            }
            ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(1))
        }
    }
}

fn dispatch(command: Command) -> Result<u8, Error> {
    match command {
        Command::Validate(args) => {
            let report = forloeb::validate(&args.extract.extract, args.extract.peers.as_deref())?;
            print!("{report}");
            if !report.summary.is_empty() {
                println!(
                    "\nData-quality summary of {}:",
                    args.extract.extract.display()
                );
                for line in &report.summary {
                    println!("  {line}");
                }
            }
            if report.is_valid() {
                println!("\nvalid: no violations");
                Ok(0)
            } else {
                println!("\ninvalid: {} problems", report.error_count());
                Ok(2)
            }
        }
        Command::Run(args) => {
            let mut request = request(args.extract, args.report, args.out);
            request.pause_at = args.pause_at;
            request.municipalities = args.municipalities;
            request.case_sample = args.case_sample.map(|out| CaseSampleRequest {
                out,
                size: case_sample::Size {
                    municipalities: args.case_municipalities,
                    persons: args.case_persons,
                },
            });
            let mut live = forloeb::live::Live::default();
            let outcome = forloeb::run(&request, &mut live)?;
            for w in &outcome.manifest.run.warnings {
                eprintln!("warning: {w}");
            }
            println!("wrote {}", outcome.out.display());
            if let Some(case) = &outcome.case_sample {
                println!(
                    "wrote the case sample ({} persons in {} municipalities) to {}",
                    case.persons,
                    case.municipalities,
                    case.out.display()
                );
            }
            live.finish("forloeb run");
            Ok(0)
        }
        Command::Spells(args) => {
            let request = request(args.extract, args.report, None);
            let (out, n) = forloeb::export_spells(&request, &args.out)?;
            println!("wrote {n} spells to {}", out.display());
            Ok(0)
        }
        Command::Bench(args) => bench(args),
        Command::Synth(args) => {
            let options = synth::SynthOptions {
                persons: args.persons,
                seed: args.seed,
                out: args.out,
                start: args.start,
                end: args.end,
                format: synth_format(args.format),
                oversample: args.oversample,
            };
            let summary = synth::write(&options, &Reference::load(None)?)?;
            println!(
                "wrote {} persons to {}",
                summary.persons,
                options.out.display()
            );
            for (table, rows) in &summary.rows {
                println!("  {table:<16} {rows:>12} rows");
            }
            Ok(0)
        }
    }
}

fn request(extract: ExtractArgs, report: ReportArgs, out: Option<PathBuf>) -> RunRequest {
    RunRequest {
        extract: extract.extract,
        peers: extract.peers,
        year: report.year,
        period: report
            .period
            .map(|(a, b)| (dates::to_day(a), dates::to_day(b))),
        config: report.config,
        out,
        case_sample: None,
        municipalities: Vec::new(),
        pause_at: None,
    }
}

fn synth_format(format: Format) -> synth::SynthFormat {
    match format {
        Format::Csv => synth::SynthFormat::Csv,
        Format::Parquet => synth::SynthFormat::Parquet,
    }
}

fn bench(args: BenchArgs) -> Result<u8, Error> {
    let work = forloeb::bench::work_dir(args.seed);
    let report = forloeb::bench::bench(
        args.persons,
        args.seed,
        synth_format(args.format),
        args.extract.as_deref(),
        &work,
    );
    if !args.keep {
        // Best effort: a leftover temporary folder is not worth failing the benchmark for.
        let _ = std::fs::remove_dir_all(&work);
    }
    let report = report?;
    match &args.extract {
        Some(dir) => println!("forloeb bench: {}", dir.display()),
        None => println!(
            "forloeb bench: synthetic extract of {} persons",
            report.persons
        ),
    }
    let mut total = 0.0;
    println!("  {:<32} {:>9}   {:>12}", "stage", "time", "stage peak");
    for ((stage, time), peak) in report.laps.iter().zip(&report.peaks) {
        total += time.as_secs_f64();
        let peak = peak.map_or_else(
            || "-".to_owned(),
            |k| format!("{:.0} MiB", k as f64 / 1024.0),
        );
        println!("  {stage:<32} {:>9.2} s {peak:>12}", time.as_secs_f64());
    }
    println!("  {:<32} {total:>9.2} s", "total");
    if let Some(kib) = report.peak_rss_kib {
        println!(
            "  peak memory of the run (VmHWM)   {:>9.0} MiB",
            kib as f64 / 1024.0
        );
    }
    if args.keep {
        println!("kept {}", work.display());
    }
    Ok(0)
}
