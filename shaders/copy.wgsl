// A plain copy of the output pixels that panels use, drawn like the composite pass (one instanced
// quad per panel over its output rectangle) but only loading a same-size source texture: the
// baseline the composite pass is benchmarked against.

struct CopyTarget {
    size: vec4<f32>,
}

@group(0) @binding(0) var source: texture_2d<f32>;
@group(0) @binding(1) var<storage, read> panels: array<Panel>;
@group(0) @binding(2) var<uniform> copy_target: CopyTarget;

@vertex
fn vs_main(@builtin(vertex_index) vi: u32, @builtin(instance_index) ii: u32) -> @builtin(position) vec4<f32> {
    let rect = panel_rect(panels[ii]);
    let p = mix(rect.xy, rect.zw, quad_corner(vi));
    return vec4<f32>(pixel_to_ndc(p, copy_target.size.xy), 0.0, 1.0);
}

@fragment
fn fs_main(@builtin(position) p: vec4<f32>) -> @location(0) vec4<f32> {
    return textureLoad(source, vec2<i32>(floor(p.xy)), 0);
}
