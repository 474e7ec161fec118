//! A compute probe that runs `shaders/colour.wgsl`'s grade and output transform on a list of
//! colours, with the LUT tables uploaded as the composite uploads them (`concat_tables`).

use parallax::colour::Rgb;
use parallax::colour::cube::CubeLut;
use parallax::gpu::Gpu;
use parallax::render::grading::{GradeUniform, OutputColourUniform};

// ---- The WGSL functions, run by a compute probe ----

const PROBE: &str = r#"
@group(0) @binding(0) var<storage, read> probe_in: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> probe_out: array<vec4<f32>>;
@group(0) @binding(2) var<uniform> probe_grade: Grade;
@group(0) @binding(3) var<uniform> probe_output: OutputColour;
@group(0) @binding(4) var<storage, read> lut_table: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> shaper_table: array<vec4<f32>>;

@compute @workgroup_size(64)
fn probe_main(@builtin(global_invocation_id) id: vec3<u32>) {
    let i = id.x;
    if (i >= arrayLength(&probe_in)) {
        return;
    }
    let c = apply_grade(probe_in[i].rgb, probe_grade);
    let pixel = vec2<u32>(i % 8u, i / 8u);
    probe_out[i] = vec4<f32>(apply_output(c, pixel, probe_output), 1.0);
}
"#;

/// `apply_output(apply_grade(c))` of `shaders/colour.wgsl` on the GPU for every input, the output
/// pixel of input `i` being `(i % 8, i / 8)`; the LUT's tables are uploaded as the composite does.
pub fn probe(
    gpu: &Gpu,
    inputs: &[Rgb],
    grade: &GradeUniform,
    oc: &OutputColourUniform,
    lut: Option<&CubeLut>,
) -> Vec<Rgb> {
    use wgpu::util::DeviceExt;
    let device = &gpu.device;
    let src = parallax::shaders::source(&format!("{}\n{PROBE}", parallax::shaders::COLOUR));
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("colour probe"),
        source: wgpu::ShaderSource::Wgsl(src.into()),
    });
    let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
        label: Some("colour probe"),
        layout: None,
        module: &module,
        entry_point: Some("probe_main"),
        compilation_options: Default::default(),
        cache: None,
    });
    let input: Vec<[f32; 4]> = inputs
        .iter()
        .map(|c| [c[0] as f32, c[1] as f32, c[2] as f32, 1.0])
        .collect();
    let buf = |label, contents: &[u8], usage| {
        device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some(label),
            contents,
            usage,
        })
    };
    let input_buf = buf(
        "probe in",
        bytemuck::cast_slice(&input),
        wgpu::BufferUsages::STORAGE,
    );
    let grade_buf = buf(
        "probe grade",
        bytemuck::bytes_of(grade),
        wgpu::BufferUsages::UNIFORM,
    );
    let oc_buf = buf(
        "probe output",
        bytemuck::bytes_of(oc),
        wgpu::BufferUsages::UNIFORM,
    );
    let size = (inputs.len() * 16) as u64;
    let output = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("probe out"),
        size,
        usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
        mapped_at_creation: false,
    });
    let staging = device.create_buffer(&wgpu::BufferDescriptor {
        label: Some("probe readback"),
        size,
        usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
        mapped_at_creation: false,
    });
    let tables = |t: Option<&[[f32; 3]]>| {
        let (_, entries) = parallax::render::grading::concat_tables(t.as_slice());
        buf(
            "probe table",
            bytemuck::cast_slice(&entries),
            wgpu::BufferUsages::STORAGE,
        )
    };
    let lut_buf = tables(lut.and_then(|l| l.lut3d.as_ref()).map(|t| &t.table[..]));
    let shaper_buf = tables(lut.and_then(|l| l.shaper.as_ref()).map(|t| &t.table[..]));
    let entry = |binding, resource| wgpu::BindGroupEntry { binding, resource };
    let group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("colour probe"),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[
            entry(0, input_buf.as_entire_binding()),
            entry(1, output.as_entire_binding()),
            entry(2, grade_buf.as_entire_binding()),
            entry(3, oc_buf.as_entire_binding()),
            entry(4, lut_buf.as_entire_binding()),
            entry(5, shaper_buf.as_entire_binding()),
        ],
    });
    let mut encoder = device.create_command_encoder(&Default::default());
    {
        let mut pass = encoder.begin_compute_pass(&Default::default());
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &group, &[]);
        pass.dispatch_workgroups((inputs.len() as u32).div_ceil(64), 1, 1);
    }
    encoder.copy_buffer_to_buffer(&output, 0, &staging, 0, size);
    gpu.queue.submit([encoder.finish()]);
    let (tx, rx) = std::sync::mpsc::channel();
    staging.map_async(wgpu::MapMode::Read, .., move |r| tx.send(r).unwrap());
    device.poll(wgpu::PollType::wait_indefinitely()).unwrap();
    rx.recv().unwrap().unwrap();
    let data = staging.get_mapped_range(..).unwrap();
    bytemuck::cast_slice::<u8, [f32; 4]>(&data)
        .iter()
        .map(|c| [c[0] as f64, c[1] as f64, c[2] as f64])
        .collect()
}
