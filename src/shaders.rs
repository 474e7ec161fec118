//! WGSL sources. `common.wgsl` is concatenated in front of every other shader (WGSL has no includes).

/// Shared WGSL: view uniforms, the equirectangular mapping, projections, panels.
pub const COMMON: &str = include_str!("../shaders/common.wgsl");
/// The environment background.
pub const ENVIRONMENT: &str = include_str!("../shaders/environment.wgsl");
/// The procedural test scene.
pub const TEST_SCENE: &str = include_str!("../shaders/test_scene.wgsl");
/// glTF scenes (PBR metallic-roughness).
pub const GLTF: &str = include_str!("../shaders/gltf.wgsl");
/// Colour: grades, LUTs, output encodings (put in front of the composite's body).
pub const COLOUR: &str = include_str!("../shaders/colour.wgsl");
/// Composite + tile mapping (its own part; [`composite_body`] puts [`COLOUR`] in front).
pub const COMPOSITE: &str = include_str!("../shaders/composite.wgsl");
/// The simulated camera's view of the wall.
pub const CAMERA_VIEW: &str = include_str!("../shaders/camera_view.wgsl");
/// The simulated camera's lens distortion.
pub const LENS_WARP: &str = include_str!("../shaders/lens_warp.wgsl");
/// A plain texture copy (benchmark baseline).
pub const COPY: &str = include_str!("../shaders/copy.wgsl");
/// Mip-map generation (box filter, odd sizes included).
pub const MIPMAP: &str = include_str!("../shaders/mipmap.wgsl");

/// The composite's body as compiled: [`COLOUR`] then [`COMPOSITE`].
pub fn composite_body() -> String {
    format!("{COLOUR}\n{COMPOSITE}")
}

/// Every shader by name, as compiled (common part included).
pub fn all() -> Vec<(&'static str, String)> {
    let composite = composite_body();
    [
        ("environment", ENVIRONMENT),
        ("test_scene", TEST_SCENE),
        ("gltf", GLTF),
        ("composite", composite.as_str()),
        ("camera_view", CAMERA_VIEW),
        ("lens_warp", LENS_WARP),
        ("copy", COPY),
        ("mipmap", MIPMAP),
    ]
    .into_iter()
    .map(|(n, s)| (n, source(s)))
    .collect()
}

/// The full source of a shader: the common part followed by its own.
pub fn source(body: &str) -> String {
    format!("{COMMON}\n{body}")
}

/// Creates a labelled shader module from a shader body.
pub fn module(device: &wgpu::Device, label: &str, body: &str) -> wgpu::ShaderModule {
    device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some(label),
        source: wgpu::ShaderSource::Wgsl(source(body).into()),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_shader_parses_and_validates() {
        let mut failures = Vec::new();
        for (name, src) in super::all() {
            let module = match naga::front::wgsl::parse_str(&src) {
                Ok(m) => m,
                Err(e) => {
                    failures.push(format!("{name}: {}", e.emit_to_string(&src)));
                    continue;
                }
            };
            let mut v = naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::default(),
            );
            if let Err(e) = v.validate(&module) {
                failures.push(format!("{name}: {}", e.emit_to_string(&src)));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }
}
