//! `parallax check CHECKS.ron` (or `parallax check STAGE --poses POSES.ron --refs DIR`): golden-image
//! checks of a stage for CI. Exits non-zero when a case fails, lacks a reference or cannot run.

use std::path::PathBuf;

use anyhow::Context;
use parallax::check::{Checks, Outcome, RunOptions};

#[derive(clap::Args)]
pub struct Args {
    /// The checks file (RON); with --poses, the stage file.
    pub file: PathBuf,
    /// Poses-and-cases file (the checks-file format); FILE is then the stage and --refs is required.
    #[arg(long)]
    pub poses: Option<PathBuf>,
    /// Folder of the reference images (replaces the checks file's `refs`).
    #[arg(long)]
    pub refs: Option<PathBuf>,
    /// Write (or refresh) references instead of comparing: all of them, or only the cases named
    /// (`--update=centre,pixel-map`; a case, a test case such as `centre/camera`, or `pixel-map`).
    #[arg(long, num_args = 0..=1, require_equals = true, default_missing_value = "", value_name = "CASES")]
    pub update: Option<String>,
    /// Write a JUnit XML report here.
    #[arg(long)]
    pub junit: Option<PathBuf>,
    /// Folder for the images of failing cases (actual, diff, side-by-side).
    #[arg(long, default_value = "check-failures")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if args.update.is_some() {
        // Before anything is read or written: references are never updated under CI.
        parallax::check::ensure_update_allowed(std::env::var_os("CI").as_deref())?;
    }
    let checks = match &args.poses {
        Some(poses) => {
            let refs = args
                .refs
                .as_deref()
                .context("--poses needs --refs DIR (the reference images)")?;
            Checks::load(poses, Some(&args.file), Some(refs))?
        }
        None => Checks::load(&args.file, None, args.refs.as_deref())?,
    };
    let update = args.update.as_ref().map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(String::from)
            .collect::<Vec<_>>()
    });
    if let Some(names) = update.as_ref().filter(|n| !n.is_empty()) {
        let known = |n: &str| {
            n == "pixel-map"
                || checks
                    .file
                    .cases
                    .iter()
                    .any(|c| c.name == n || n.starts_with(&format!("{}/", c.name)))
        };
        let unknown: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .filter(|n| !known(n))
            .collect();
        anyhow::ensure!(
            unknown.is_empty(),
            "--update names unknown cases: {}",
            unknown.join(", ")
        );
    }
    let options = RunOptions {
        update,
        out: args.out.clone(),
    };
    let bar = indicatif::ProgressBar::new(checks.steps());
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} cases {elapsed} {msg}")
    {
        bar.set_style(style);
    }
    let report = parallax::check::run(&checks, None, &options, &mut |name| {
        bar.set_message(name.to_string());
        bar.inc(1);
    });
    bar.finish_and_clear();

    for r in &report.results {
        match &r.outcome {
            Outcome::Passed(_) => println!("ok       {}", r.name),
            Outcome::Updated(m) => println!("updated  {}: {m}", r.name),
            o => {
                println!("{:<8} {}: {}", o.label(), r.name, indent(o.message()));
                for f in &r.files {
                    println!("           {}", f.display());
                }
            }
        }
    }
    if let Some(path) = &args.junit {
        parallax::io::write_atomic(path, parallax::check::junit_xml(&report).as_bytes())?;
        println!("wrote {}", path.display());
    }
    println!("{}", report.summary());
    if report.failed() {
        let bad = report
            .results
            .iter()
            .filter(|r| r.outcome.is_failure())
            .count();
        anyhow::bail!("{bad} of {} check cases failed", report.results.len());
    }
    Ok(())
}

fn indent(s: &str) -> String {
    s.replace('\n', "\n         ")
}
