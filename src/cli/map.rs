//! `parallax map STAGE --out DIR`

use std::path::PathBuf;

use parallax::mapping::PixelMap;

#[derive(clap::Args)]
pub struct Args {
    /// Stage file (RON).
    pub stage: PathBuf,
    /// Folder to write pixel-map.json, pixel-map.csv and the diagrams (`<output>-diagram.png`) into.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let stage = super::load_stage(&args.stage)?;
    let map = PixelMap::of(&stage);
    let json = args.out.join("pixel-map.json");
    parallax::io::write_json(&json, &map)?;
    let csv = args.out.join("pixel-map.csv");
    parallax::io::write_atomic(&csv, map.to_csv().as_bytes())?;
    println!("wrote {}", json.display());
    println!("wrote {}", csv.display());
    for (k, o) in stage.outputs.iter().enumerate() {
        let img = parallax::diagram::diagram(&stage, k)?;
        let path = args.out.join(format!("{}-diagram.png", o.name));
        parallax::io::write_png(&path, &img)?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
