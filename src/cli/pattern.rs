//! `parallax pattern STAGE --out DIR [--kind id|grid|colour-bars|solid|test-card] [--colour R,G,B]`

use std::path::PathBuf;

use anyhow::Context;
use parallax::pattern::{Pattern, PatternKind};

/// Which pattern to write.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Kind {
    /// Per-cabinet colour, white edge, id, up arrow, top-left marker and a machine-readable code.
    Id,
    /// A line grid (every --grid-step LED pixels) and the cabinet edges.
    Grid,
    /// SMPTE-like colour bars across each cabinet.
    ColourBars,
    /// One colour everywhere (--colour).
    Solid,
    /// Per output, in its colour encoding (sRGB PNG, PQ 16-bit PNG, linear EXR): grey, red, green
    /// and blue ramps (code 0 to max) and grey patches at known luminances (PQ: 0 to 10,000 nits
    /// clipped to the peak), with no LUT and no grade; a layout sidecar `<output>.card.json`.
    TestCard,
}

#[derive(clap::Args)]
pub struct Args {
    /// Stage file (RON).
    pub stage: PathBuf,
    /// Folder to write one image per output into (`<output>.png`; a test card of a linear EXR
    /// output is `<output>.exr`).
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Pattern to draw.
    #[arg(long, value_enum, default_value_t = Kind::Id)]
    pub kind: Kind,
    /// Colour of the `solid` pattern, as R,G,B (0-255 each).
    #[arg(long, value_parser = parse_colour, default_value = "255,255,255")]
    pub colour: [u8; 3],
    /// Spacing of the `grid` pattern's lines, in LED pixels.
    #[arg(long, default_value_t = 8)]
    pub grid_step: u32,
}

fn parse_colour(s: &str) -> Result<[u8; 3], String> {
    let parts: Vec<&str> = s.split(',').map(str::trim).collect();
    let [r, g, b] = parts.as_slice() else {
        return Err(format!("expected R,G,B (three numbers 0-255), got '{s}'"));
    };
    let c = |v: &str| {
        v.parse::<u8>()
            .map_err(|_| format!("'{v}' is not a number from 0 to 255"))
    };
    Ok([c(r)?, c(g)?, c(b)?])
}

/// Renders the pattern for every output and writes `DIR/<output>.png`.
pub fn run(args: Args) -> anyhow::Result<()> {
    let stage = super::load_stage(&args.stage)?;
    let kind = match args.kind {
        Kind::Id => PatternKind::Id,
        Kind::Grid => PatternKind::Grid {
            every: args.grid_step,
        },
        Kind::ColourBars => PatternKind::ColourBars,
        Kind::Solid => PatternKind::Solid(args.colour),
        Kind::TestCard => {
            for (image, json) in parallax::pattern::test_card::write_all(&stage, &args.out)? {
                println!("wrote {}", image.display());
                println!("wrote {}", json.display());
            }
            return Ok(());
        }
    };
    let images = Pattern::new(&stage, kind)?.render_all()?;
    for (o, img) in stage.outputs.iter().zip(&images) {
        let path = args.out.join(format!("{}.png", o.name));
        parallax::io::write_png(&path, img).with_context(|| format!("output '{}'", o.name))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
