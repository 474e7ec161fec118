//! `parallax run --serve ADDR` (remote review and control) and `parallax token` (its tokens). See
//! docs/remote.md.

use std::path::PathBuf;

use parallax::remote::ServeOptions;
use parallax::remote::access::{Role, TokenStore};

/// The remote-control switches of `parallax run`.
#[derive(clap::Args, Default, Clone)]
pub struct ServeArgs {
    /// Serve the remote page and control API (docs/remote.md) on ADDR: `PORT` (on 127.0.0.1,
    /// this machine only) or `HOST:PORT`, HOST an IP address (0.0.0.0 for every interface) or a
    /// host name (localhost:8080). Off by default. Needs a token file with a token (`parallax
    /// token add`). With --take it keeps serving past the take's end (the camera holds its last
    /// pose) until Ctrl-C or --frames. Save is refused while the bundled demo stage runs.
    #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "8080")]
    pub serve: Option<String>,
    /// PEM certificate chain for HTTPS (with --serve and --tls-key).
    #[arg(long, value_name = "FILE", requires = "tls_key", requires = "serve")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key for HTTPS (with --serve and --tls-cert).
    #[arg(long, value_name = "FILE", requires = "tls_cert", requires = "serve")]
    pub tls_key: Option<PathBuf>,
    /// The token file (`parallax token add`); it must exist and hold a token. With --serve.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "parallax-tokens.json",
        requires = "serve"
    )]
    pub tokens: PathBuf,
    /// The audit log (JSON Lines, appended to). With --serve.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "parallax-audit.jsonl",
        requires = "serve"
    )]
    pub audit: PathBuf,
    /// Largest width of the streamed images in pixels (0: full size). With --serve.
    #[arg(long, value_name = "PX", default_value_t = 960, requires = "serve")]
    pub stream_width: u32,
    /// Streamed frames per second. With --serve.
    #[arg(long, value_name = "FPS", default_value_t = 10.0, value_parser = positive,
          requires = "serve")]
    pub stream_fps: f64,
    /// Requests per second allowed per token, and per address for requests without a valid
    /// token (bursts of twice that), at least 0.1; past it, 429 with Retry-After. With --serve.
    #[arg(long, value_name = "N", default_value_t = 20.0, value_parser = rate,
          requires = "serve")]
    pub rate_limit: f64,
}

impl ServeArgs {
    /// Starts the server for the stage and hooks it into the loop (nothing without --serve).
    pub fn start(
        &self,
        stage: &std::path::Path,
        live: &mut parallax::live::LiveLoop,
    ) -> anyhow::Result<()> {
        let Some(addr) = &self.serve else {
            return Ok(());
        };
        let options = ServeOptions {
            addr: parallax::remote::parse_addr(addr).map_err(anyhow::Error::msg)?,
            tls: self.tls_cert.clone().zip(self.tls_key.clone()),
            tokens: self.tokens.clone(),
            audit: self.audit.clone(),
            stream_width: self.stream_width,
            stream_fps: self.stream_fps,
            rate_per_s: self.rate_limit,
            save_refused: bundled_demo(stage).then(|| {
                format!(
                    "{} is the bundled demo stage: save does not write over it; copy it and run \
                     `parallax run COPY.ron --serve` to save changes",
                    stage.display()
                )
            }),
            ..Default::default()
        };
        let (server, hook) = parallax::remote::serve(&options, stage)?;
        live.add_hook(Box::new(hook));
        eprintln!(
            "serving {} (tokens {}, audit log {})",
            server.url,
            options.tokens.display(),
            options.audit.display()
        );
        Ok(())
    }
}

/// Whether `stage` is the bundled demo stage (`parallax run` without a stage runs it).
fn bundled_demo(stage: &std::path::Path) -> bool {
    let demo = super::default_stage();
    stage == demo
        || std::fs::canonicalize(stage)
            .ok()
            .zip(std::fs::canonicalize(&demo).ok())
            .is_some_and(|(a, b)| a == b)
}

/// `parallax token`: manage the tokens of the remote control.
#[derive(clap::Args)]
pub struct TokenArgs {
    /// The token file.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "parallax-tokens.json",
        global = true
    )]
    pub tokens: PathBuf,
    #[command(subcommand)]
    pub command: TokenCommand,
}

#[derive(clap::Subcommand)]
pub enum TokenCommand {
    /// Add a token and print it (once: only its hash is stored).
    Add {
        /// Who holds it.
        name: String,
        /// viewer, artist, operator or admin.
        #[arg(long, value_parser = Role::parse)]
        role: Role,
    },
    /// Remove a token.
    Remove {
        /// Its name.
        name: String,
    },
    /// List the tokens (names and roles).
    List,
}

pub fn run(args: TokenArgs) -> anyhow::Result<()> {
    // Only `add` creates the file: listing or removing from a file that is not there is a
    // mistyped --tokens, not an empty list.
    if !matches!(args.command, TokenCommand::Add { .. }) && !args.tokens.exists() {
        anyhow::bail!(
            "no token file {}: `parallax token add NAME --role ROLE` creates it (or give \
             --tokens FILE)",
            args.tokens.display()
        );
    }
    let mut store = TokenStore::open(&args.tokens)?;
    match args.command {
        TokenCommand::Add { name, role } => {
            let token = store.add(&name, role)?;
            eprintln!(
                "added '{name}' ({}) to {}; the token (shown once):",
                role.name(),
                args.tokens.display()
            );
            println!("{token}");
        }
        TokenCommand::Remove { name } => {
            store.remove(&name)?;
            println!("removed '{name}' from {}", args.tokens.display());
        }
        TokenCommand::List => {
            for t in store.tokens() {
                println!("{}\t{}", t.name, t.role.name());
            }
        }
    }
    Ok(())
}

/// A request rate: at least 0.1 a second (one request every 10 s; below it a client would wait
/// minutes to be let in again).
fn rate(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.1 => Ok(x),
        Ok(_) => Err(format!("{s}: must be at least 0.1 requests a second")),
        Err(e) => Err(format!("{s}: {e}")),
    }
}

/// A finite number above zero (a rate of 0 would stop the stream or refuse every request).
fn positive(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        Ok(_) => Err(format!("{s}: must be a number above zero")),
        Err(e) => Err(format!("{s}: {e}")),
    }
}
