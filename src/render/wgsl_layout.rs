//! Host structs match their WGSL structs: the WGSL front end of naga lays each struct out (size and
//! member offsets, WGSL's alignment rules); these are compared with the Rust structs'
//! `size_of` and `offset_of!`. A field added on one side only, reordered, or padded differently fails.

use std::mem::{offset_of, size_of};

use super::GpuPanel;
use super::composite::{FrameUniform, InnerCameraUniform, TargetUniform};
use super::emitted::EmittedLight;
use super::grading::{GradeSetUniform, GradeUniform, OutputColourUniform};
use super::lens_warp::LensUniform;
use super::overlay::{CardUniform, OverlayUniform};
use crate::gpu::layout::ViewUniform;
use crate::scene::environment_params_layout;

/// A Rust struct's layout: size and (member name, offset) in declaration order.
struct HostLayout {
    size: usize,
    members: Vec<(&'static str, usize)>,
}

macro_rules! host {
    ($t:ty { $($f:ident),* $(,)? }) => {
        HostLayout {
            size: size_of::<$t>(),
            members: vec![$((stringify!($f), offset_of!($t, $f))),*],
        }
    };
}

/// The layout naga gives WGSL struct `name` in `source` (common part included).
fn wgsl_layout(body: &str, name: &str) -> (u32, Vec<(String, u32)>) {
    let src = crate::shaders::source(body);
    let module = naga::front::wgsl::parse_str(&src).expect("shader parses");
    for (_, ty) in module.types.iter() {
        if ty.name.as_deref() != Some(name) {
            continue;
        }
        if let naga::TypeInner::Struct { members, span } = &ty.inner {
            let m = members
                .iter()
                .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
                .collect();
            return (*span, m);
        }
    }
    panic!("no struct {name} in the shader");
}

fn check(body: &str, name: &str, host: HostLayout, failures: &mut Vec<String>) {
    let (span, members) = wgsl_layout(body, name);
    if span as usize != host.size {
        failures.push(format!("{name}: WGSL size {span}, Rust size {}", host.size));
    }
    let w: Vec<(String, usize)> = members.into_iter().map(|(n, o)| (n, o as usize)).collect();
    let h: Vec<(String, usize)> = host
        .members
        .iter()
        .map(|(n, o)| (n.to_string(), *o))
        .collect();
    if w != h {
        failures.push(format!("{name}: WGSL members {w:?}, Rust members {h:?}"));
    }
}

#[test]
fn host_structs_match_their_wgsl_layouts() {
    use crate::shaders::*;
    let composite = composite_body();
    let mut failures = Vec::new();
    check(
        TEST_SCENE,
        "View",
        host!(ViewUniform {
            view_proj,
            inv_view_proj,
            eye
        }),
        &mut failures,
    );
    check(
        &composite,
        "Panel",
        host!(GpuPanel {
            top_left,
            right,
            down,
            pixels,
            origin,
            step_col,
            step_row
        }),
        &mut failures,
    );
    check(
        &composite,
        "Frame",
        host!(FrameUniform {
            cameras,
            outer_viewpoint,
            counts
        }),
        &mut failures,
    );
    check(
        &composite,
        "InnerCamera",
        host!(InnerCameraUniform {
            view_proj,
            eye,
            border_color,
            params,
            extent,
            key,
            marker_colour,
            marker
        }),
        &mut failures,
    );
    check(
        &composite,
        "Target",
        host!(TargetUniform {
            size,
            offset,
            mode,
            colour
        }),
        &mut failures,
    );
    check(
        &composite,
        "Grade",
        host!(GradeUniform {
            m0,
            m1,
            m2,
            slope,
            offset,
            power
        }),
        &mut failures,
    );
    check(
        &composite,
        "Overlay",
        host!(OverlayUniform { cards }),
        &mut failures,
    );
    check(
        &composite,
        "GradeSet",
        host!(GradeSetUniform { inner, outer }),
        &mut failures,
    );
    check(
        &composite,
        "OutputColour",
        host!(OutputColourUniform {
            m0,
            m1,
            m2,
            lut_scale,
            lut_bias,
            shaper_scale,
            shaper_bias,
            mode,
            pq,
            slot
        }),
        &mut failures,
    );
    check(
        &composite,
        "LightCard",
        host!(CardUniform {
            centre,
            u,
            v,
            eye,
            radiance
        }),
        &mut failures,
    );
    check(
        LENS_WARP,
        "Lens",
        host!(LensUniform {
            frame,
            pinhole,
            k,
            p2_size,
            pinhole_extent,
            centre
        }),
        &mut failures,
    );
    check(
        CAMERA_VIEW,
        "Emitted",
        host!(EmittedLight { m0, m1, m2, decode }),
        &mut failures,
    );
    let (size, members) = environment_params_layout();
    check(
        ENVIRONMENT,
        "EnvParams",
        HostLayout { size, members },
        &mut failures,
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_mismatch_is_detected() {
    // The oracle itself can fail: a Rust struct missing WGSL's last member.
    #[repr(C)]
    struct Short {
        size: [f32; 2],
    }
    let mut failures = Vec::new();
    check(
        &crate::shaders::composite_body(),
        "Target",
        host!(Short { size }),
        &mut failures,
    );
    assert_eq!(failures.len(), 2, "{failures:?}");
}
