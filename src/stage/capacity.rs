//! LED processors: their capacity at the stage frame rate, the cabinets on each port, and the usage
//! summary of outputs and processors that `parallax validate` prints.
//!
//! A processor's data sheet quotes its pixel capacity (whole processor and per port) at the frame
//! rates it states (e.g. 525,000 px per 1 Gb port at 60 Hz, 262,500 px at 120 Hz). At the stage frame
//! rate Parallax takes the figure stated for the lowest rate at or above it, and above every stated
//! rate the highest rate's figure scaled down in proportion (half at twice the rate). It never scales
//! a figure up: a processor does not take more pixels than it is rated for because frames come more
//! slowly (a 23.976 fps stage gets the 60 Hz figure, not 2.5 times it). See [`capacity_at_rates`].

use std::collections::HashMap;

use super::checks::{Problems, duplicates, positive};
use super::file;
use super::{Processor, Stage, Subject};

/// Pixels used in one output.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputUsage {
    pub output: String,
    pub panels: usize,
    pub pixels: u64,
    /// Share of the raster's pixels that feed cabinets (of one sub-frame region with frame
    /// remapping).
    pub share: f64,
}

/// Pixels on one processor and on each of its ports.
#[derive(Clone, Debug, PartialEq)]
pub struct ProcessorUsage {
    pub processor: String,
    pub pixels: u64,
    /// Pixels the processor takes at the stage frame rate (see [`capacity_at`]).
    pub capacity: u64,
    /// Pixels on each port (cabinets are assigned to ports in chain order, a port filling up before
    /// the next one is used, a cabinet never split; see [`Stage::port_chains`]).
    pub ports: Vec<u64>,
    /// Pixels one port takes at the stage frame rate (see [`capacity_at`]).
    pub port_capacity: u64,
    /// Pixels of cabinets that did not fit on any port.
    pub unassigned: u64,
}

/// Stage totals for `parallax validate`.
#[derive(Clone, Debug, PartialEq)]
pub struct Summary {
    pub sections: usize,
    pub panels: usize,
    pub pixels: u64,
    pub outputs: Vec<OutputUsage>,
    pub processors: Vec<ProcessorUsage>,
}

/// Pixels a processor (or a port) rated for `rated` pixels at `rated_hz` takes at `frame_rate` (Hz):
/// `rated` at any frame rate up to `rated_hz`, `rated * rated_hz / frame_rate` (rounded down) above it.
/// E.g. 9,000,000 px rated at 60 Hz: 9,000,000 px at 24 or 60 Hz, 4,500,000 px at 120 Hz.
/// Both rates must be positive (checked by the caller); otherwise `rated` is returned.
pub fn capacity_at(rated: u64, rated_hz: f64, frame_rate: f64) -> u64 {
    if !(positive(rated_hz) && positive(frame_rate)) || frame_rate <= rated_hz {
        return rated;
    }
    let exact = rated as f64 * rated_hz / frame_rate;
    // A whole number computed with a rounding error just below it is that number.
    let nearest = exact.round();
    if (exact - nearest).abs() <= 1e-9 * nearest.max(1.0) {
        nearest as u64
    } else {
        exact.floor() as u64
    }
}

/// Pixels a processor (or a port) takes at `frame_rate` (Hz), given the figures its vendor states as
/// `(rate in Hz, pixels)`: the figure of the lowest stated rate at or above `frame_rate`; above every
/// stated rate, the highest rate's figure times `rate / frame_rate` (rounded down, see
/// [`capacity_at`]). E.g. stated 525,000 at 60 Hz and 262,500 at 120 Hz: 525,000 at 23.976 or 60 Hz,
/// 262,500 at 100 or 120 Hz, 218,750 at 144 Hz. Stated rates that are not positive numbers are
/// ignored (the caller reports them); `None` when none is left.
pub fn capacity_at_rates(stated: &[(f64, u64)], frame_rate: f64) -> Option<u64> {
    let valid = || stated.iter().filter(|(hz, _)| positive(*hz));
    // A rate within a billionth of the stage's counts as the stage's (rounding in written rates).
    let at_or_above = valid()
        .filter(|(hz, _)| *hz >= frame_rate * (1.0 - 1e-9))
        .min_by(|a, b| a.0.total_cmp(&b.0));
    match at_or_above {
        Some(&(_, pixels)) => Some(pixels),
        None => valid()
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|&(hz, pixels)| capacity_at(pixels, hz, frame_rate)),
    }
}

/// A count with thousands separators, as data sheets print it: `12390400` -> `12,390,400`.
pub(super) fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (k, c) in digits.chars().enumerate() {
        if k > 0 && (digits.len() - k).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The processors, in file order, with their inputs resolved (`output_index`: output name to index)
/// and their capacities at the stage frame rate. A processor whose `rated_hz` is not a positive number
/// is reported and left out.
pub(super) fn processors(
    f: &file::Stage,
    output_index: &HashMap<&str, usize>,
    problems: &mut Problems,
) -> Vec<Processor> {
    for d in duplicates(f.processors.iter().map(|p| p.name.as_str())) {
        problems.push(Subject::Processor(d.into()), "duplicate processor name");
    }
    let mut processors = Vec::new();
    let mut fed_by: HashMap<usize, &str> = HashMap::new();
    for (pk, p) in f.processors.iter().enumerate() {
        let s = Subject::Processor(p.name.clone());
        let mut inputs = Vec::new();
        for i in &p.inputs {
            match output_index.get(i.as_str()) {
                Some(&oi) => {
                    if let Some(other) = fed_by.insert(oi, &p.name) {
                        problems.push(
                            s.clone(),
                            format!("input '{i}' already feeds processor '{other}'"),
                        );
                    }
                    inputs.push(oi)
                }
                None => problems.push(s.clone(), format!("unknown input output '{i}'")),
            }
        }
        let rated = p.rated_hz.unwrap_or(f.frame_rate);
        if !positive(rated) {
            problems.push(
                s.clone(),
                format!("rated_hz must be a positive number, got {rated}"),
            );
            continue;
        }
        if p.ports == 0 || p.pixels_per_port == 0 || p.max_pixels == 0 {
            problems.push(
                s.clone(),
                "ports, pixels_per_port and max_pixels must be positive",
            );
        }
        let mut max_pixels = vec![(rated, p.max_pixels)];
        let mut per_port = vec![(rated, p.pixels_per_port)];
        for (k, r) in p.rates.iter().enumerate() {
            let at = format!("rates[{k}]");
            // Ends each message so that loading the file locates it at the entry's `hz`.
            let here = format!(" (at processors[{pk}].rates[{k}].hz)");
            if !positive(r.hz) {
                problems.push(
                    s.clone(),
                    format!("{at}: hz must be a positive number, got {}{here}", r.hz),
                );
                continue;
            }
            if r.max_pixels.is_none() && r.pixels_per_port.is_none() {
                problems.push(
                    s.clone(),
                    format!(
                        "{at} ({} Hz) states neither max_pixels nor pixels_per_port{here}",
                        r.hz
                    ),
                );
            }
            if r.max_pixels == Some(0) || r.pixels_per_port == Some(0) {
                problems.push(
                    s.clone(),
                    format!("{at} ({} Hz): figures must be positive{here}", r.hz),
                );
            }
            for (figure, list) in [
                (r.max_pixels, &mut max_pixels),
                (r.pixels_per_port, &mut per_port),
            ] {
                if let Some(n) = figure {
                    if list
                        .iter()
                        .any(|(hz, _)| (hz - r.hz).abs() <= 1e-9 * hz.abs().max(1.0))
                    {
                        problems.push(
                            s.clone(),
                            format!("{at}: a figure for {} Hz is stated twice{here}", r.hz),
                        );
                    }
                    list.push((r.hz, n));
                }
            }
        }
        let at_stage = |stated: &[(f64, u64)]| capacity_at_rates(stated, f.frame_rate).unwrap_or(0);
        processors.push(Processor {
            name: p.name.clone(),
            inputs,
            max_pixels: at_stage(&max_pixels),
            ports: p.ports,
            pixels_per_port: at_stage(&per_port),
        });
    }
    processors
}

/// Processors carrying more pixels than they take, and cabinets that fit on no port.
pub(super) fn check_capacity(stage: &Stage, problems: &mut Problems) {
    for u in processor_usage(stage) {
        let s = Subject::Processor(u.processor.clone());
        if u.pixels > u.capacity {
            problems.push(
                s.clone(),
                format!(
                    "{} px > {} px, its capacity at {} Hz ({:.0}%)",
                    grouped(u.pixels),
                    grouped(u.capacity),
                    stage.frame_rate,
                    100.0 * u.pixels as f64 / u.capacity.max(1) as f64
                ),
            );
        }
        if u.unassigned > 0 {
            problems.push(
                s,
                format!(
                    "{} pixels do not fit on its {} ports of {} pixels",
                    grouped(u.unassigned),
                    u.ports.len(),
                    grouped(u.port_capacity)
                ),
            );
        }
    }
}

/// One port of a processor and the cabinets its cable runs through, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortChain {
    /// Index in [`Stage::processors`].
    pub processor: usize,
    /// The port's number as processors label them, from 1.
    pub port: u32,
    /// The cabinets (indices in [`Stage::panels`]), the first one nearest the processor.
    pub panels: Vec<usize>,
}

/// Where a cabinet's data comes from: a processor's port and its place in the port's chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CabinetPort {
    /// Index in [`Stage::processors`].
    pub processor: usize,
    /// The port's number, from 1.
    pub port: u32,
    /// Its place in the port's chain, from 1 (the cabinet the port's cable reaches first).
    pub position: u32,
}

/// Cabinets on each port of each processor, and the pixels they carry.
struct Assignment {
    /// Per port: the cabinets in chain order.
    chains: Vec<Vec<usize>>,
    /// Pixels per port.
    ports: Vec<u64>,
    /// All pixels on the processor's inputs.
    pixels: u64,
    /// Pixels of cabinets that fit on no port.
    unassigned: u64,
}

/// Assigns the cabinets on each processor's inputs to its ports: in chain order (sections in file
/// order, each section's [`super::Section::chain`]), port after port, a port filling up before the
/// next is used and a cabinet never split. A remapped output sends each cabinet once per sub-frame,
/// so a cabinet counts `K` times its pixels.
fn assign(stage: &Stage) -> Vec<Assignment> {
    stage
        .processors
        .iter()
        .map(|p| {
            let mut a = Assignment {
                chains: vec![Vec::new(); p.ports as usize],
                ports: vec![0u64; p.ports as usize],
                pixels: 0,
                unassigned: 0,
            };
            let mut port = 0usize;
            let chain = stage.sections.iter().flat_map(|s| s.chain.iter().copied());
            for k in chain {
                let panel = &stage.panels[k];
                if !p.inputs.contains(&panel.placement.output) {
                    continue;
                }
                // A remapped output sends each cabinet K times per frame: it takes K times the
                // capacity (the processor's figures divided by K per sub-frame).
                let times = stage
                    .outputs
                    .get(panel.placement.output)
                    .map_or(1, |o| u64::from(o.subframe_count()));
                let n = panel.pixel_count() * times;
                a.pixels += n;
                while port < a.ports.len() && a.ports[port] + n > p.pixels_per_port {
                    port += 1;
                }
                match a.ports.get_mut(port) {
                    Some(used) => {
                        *used += n;
                        a.chains[port].push(k);
                    }
                    None => a.unassigned += n,
                }
            }
            a
        })
        .collect()
}

/// Every port that carries a cabinet, processor by processor in file order, ports in order.
pub(super) fn port_chains(stage: &Stage) -> Vec<PortChain> {
    assign(stage)
        .into_iter()
        .enumerate()
        .flat_map(|(pi, a)| {
            a.chains
                .into_iter()
                .enumerate()
                .filter(|(_, c)| !c.is_empty())
                .map(move |(k, panels)| PortChain {
                    processor: pi,
                    port: k as u32 + 1,
                    panels,
                })
        })
        .collect()
}

/// Each cabinet's port (indexed like [`Stage::panels`]); `None` for a cabinet on no processor's
/// input or on no port (over capacity).
pub(super) fn cabinet_ports(stage: &Stage) -> Vec<Option<CabinetPort>> {
    let mut out = vec![None; stage.panels.len()];
    for c in port_chains(stage) {
        for (n, &k) in c.panels.iter().enumerate() {
            out[k] = Some(CabinetPort {
                processor: c.processor,
                port: c.port,
                position: n as u32 + 1,
            });
        }
    }
    out
}

/// Pixels on each processor and port (see [`assign`]).
fn processor_usage(stage: &Stage) -> Vec<ProcessorUsage> {
    stage
        .processors
        .iter()
        .zip(assign(stage))
        .map(|(p, a)| ProcessorUsage {
            processor: p.name.clone(),
            pixels: a.pixels,
            capacity: p.max_pixels,
            ports: a.ports,
            port_capacity: p.pixels_per_port,
            unassigned: a.unassigned,
        })
        .collect()
}

/// Usage per output and per processor.
pub(super) fn summary(stage: &Stage) -> Summary {
    let mut outputs: Vec<OutputUsage> = stage
        .outputs
        .iter()
        .map(|o| OutputUsage {
            output: o.name.clone(),
            panels: 0,
            pixels: 0,
            share: 0.0,
        })
        .collect();
    for p in &stage.panels {
        let u = &mut outputs[p.placement.output];
        u.panels += 1;
        u.pixels += p.pixel_count();
    }
    for (u, o) in outputs.iter_mut().zip(&stage.outputs) {
        // Of one sub-frame region with frame remapping (every region maps the same cabinets).
        let (w, h) = o.region_size();
        u.share = u.pixels as f64 / (w as f64 * h as f64);
    }
    Summary {
        sections: stage.sections.len(),
        panels: stage.panels.len(),
        pixels: stage.pixel_count(),
        outputs,
        processors: processor_usage(stage),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A processor rated 9,000,000 px and 525,000 px per port at 60 Hz (a 1 Gb port at 8 bits).

    #[test]
    fn below_the_rated_rate_capacity_stays_the_rated_figure() {
        // 24 fps: the old rule (scale by 60 / 24) gave 22,500,000 and 1,312,500.
        assert_eq!(capacity_at(9_000_000, 60.0, 24.0), 9_000_000);
        assert_eq!(capacity_at(525_000, 60.0, 24.0), 525_000);
        assert_eq!(capacity_at(9_000_000, 60.0, 59.94), 9_000_000);
    }

    #[test]
    fn at_the_rated_rate_capacity_is_the_rated_figure() {
        assert_eq!(capacity_at(9_000_000, 60.0, 60.0), 9_000_000);
        assert_eq!(capacity_at(525_000, 60.0, 60.0), 525_000);
    }

    #[test]
    fn above_the_rated_rate_capacity_falls_in_proportion() {
        // 120 Hz: half. 9,000,000 / 2 and 525,000 / 2.
        assert_eq!(capacity_at(9_000_000, 60.0, 120.0), 4_500_000);
        assert_eq!(capacity_at(525_000, 60.0, 120.0), 262_500);
        // 90 Hz: two thirds, 6,000,000 and 350,000 exactly (no off-by-one from rounding).
        assert_eq!(capacity_at(9_000_000, 60.0, 90.0), 6_000_000);
        assert_eq!(capacity_at(525_000, 60.0, 90.0), 350_000);
        // 144 Hz: 525,000 * 60 / 144 = 218,750 exactly; 1,000 * 60 / 144 = 416.67 -> 416.
        assert_eq!(capacity_at(525_000, 60.0, 144.0), 218_750);
        assert_eq!(capacity_at(1_000, 60.0, 144.0), 416);
    }

    #[test]
    fn rates_that_are_not_positive_leave_the_rated_figure() {
        assert_eq!(capacity_at(1000, 0.0, 24.0), 1000);
        assert_eq!(capacity_at(1000, 60.0, f64::NAN), 1000);
    }

    #[test]
    fn stated_rates_are_used_at_or_below_them_and_never_scaled_up() {
        // 525,000 px per port stated at 60 Hz, 262,500 at 120 Hz, in any order.
        let stated = [(120.0, 262_500), (60.0, 525_000)];
        // 23.976 fps: the 60 Hz figure (scaling it up by 60 / 23.976 would give 1,313,814).
        assert_eq!(capacity_at_rates(&stated, 24000.0 / 1001.0), Some(525_000));
        assert_eq!(capacity_at_rates(&stated, 60.0), Some(525_000));
        // Between the stated rates: the figure of the next rate up, not an interpolation.
        assert_eq!(capacity_at_rates(&stated, 60.5), Some(262_500));
        assert_eq!(capacity_at_rates(&stated, 100.0), Some(262_500));
        assert_eq!(capacity_at_rates(&stated, 120.0), Some(262_500));
        // Above the highest: 262,500 * 120 / 144 = 218,750; * 120 / 240 = 131,250.
        assert_eq!(capacity_at_rates(&stated, 144.0), Some(218_750));
        assert_eq!(capacity_at_rates(&stated, 240.0), Some(131_250));
        // One stated rate: the same as capacity_at.
        assert_eq!(capacity_at_rates(&[(60.0, 525_000)], 24.0), Some(525_000));
        assert_eq!(capacity_at_rates(&[(60.0, 525_000)], 120.0), Some(262_500));
        // Rates that are not positive are ignored.
        assert_eq!(capacity_at_rates(&[(0.0, 1), (f64::NAN, 2)], 24.0), None);
        assert_eq!(capacity_at_rates(&[(-1.0, 1), (50.0, 7)], 24.0), Some(7));
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(12_390_400), "12,390,400");
        assert_eq!(grouped(9_000_000), "9,000,000");
        assert_eq!(grouped(123_456_789_012), "123,456,789,012");
    }
}
