//! What the composite draws on the wall besides the scene: the chroma key with its tracking markers
//! (in place of a camera's inner frustum; written per camera into the composite's frame uniform by
//! [`chroma_uniform`]) and the light cards. Bind group 2 of `shaders/composite.wgsl`: the `Overlay`
//! uniform, per GPU panel (parallel to the panel buffer) the panel's rectangle on its section's
//! unwrapped wall in millimetres ([`crate::stage::chroma`]), the frame's light cards
//! ([`crate::stage::cards`]) and their radiance graded once per grade set on the CPU
//! ([`graded_radiance`]).

use super::targets::Allocator;
use super::{FrameInputs, InputError, RenderError};
use crate::colour::grade::Grade;
use crate::colour::primaries::Primaries;
use crate::gpu::Gpu;
use crate::gpu::layout::{storage_entry_of, uniform_entry_of};
use crate::stage::{CardLayer, CardShape, Chroma, LightCard, MarkerShape, Stage};

/// `Overlay` of `shaders/composite.wgsl`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct OverlayUniform {
    /// x: number of light cards; y, z, w: unused.
    pub(crate) cards: [u32; 4],
}

const _: () = assert!(std::mem::size_of::<OverlayUniform>() == 16);

/// `LightCard` of `shaders/composite.wgsl`: one card resolved for the frame.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, bytemuck::Pod, bytemuck::Zeroable)]
pub(crate) struct CardUniform {
    /// Centre (stage metres); w: layer (0 under, 1 over).
    pub(crate) centre: [f32; 4],
    /// Unit width direction divided by the half width; w: shape (0 rectangle, 1 ellipse).
    pub(crate) u: [f32; 4],
    /// Unit height direction divided by the half height; w: feather.
    pub(crate) v: [f32; 4],
    /// The point the card is seen from (stage metres).
    pub(crate) eye: [f32; 4],
    /// Linear radiance (rgb).
    pub(crate) radiance: [f32; 4],
}

const _: () = assert!(std::mem::size_of::<CardUniform>() == 80);

impl CardUniform {
    pub(crate) fn new(card: &LightCard, outer_viewpoint: glam::DVec3) -> CardUniform {
        let f = card.frame(outer_viewpoint);
        let w = |v: glam::DVec3, w: f32| [v.x as f32, v.y as f32, v.z as f32, w];
        let r = card.radiance();
        CardUniform {
            centre: w(f.centre, f32::from(u8::from(card.layer == CardLayer::Over))),
            u: w(
                f.right / f.half.x,
                f32::from(u8::from(card.shape == CardShape::Ellipse)),
            ),
            v: w(f.up / f.half.y, card.feather as f32),
            eye: w(f.eye, 0.0),
            radiance: [r[0], r[1], r[2], 0.0],
        }
    }
}

/// The light cards' radiance graded by each grade set's cards grade: entry `set * cards.len() + k`
/// is card `k`'s radiance (linear RGB in the working space, clamped to the half-float range) times
/// the set's scale (`ColourPlan::card_scales`: a PQ output's white), then under the set's grade,
/// applied in `space` ([`Grade::apply`]); a neutral grade leaves it as it is. The composite reads
/// it per LED pixel (`card_radiance` in `shaders/composite.wgsl`) instead of grading each card at
/// each pixel. At least one entry (a storage binding cannot be empty).
pub(crate) fn graded_radiance(
    grades: &[(Grade, f32)],
    space: &Primaries,
    cards: &[CardUniform],
) -> Vec<[f32; 4]> {
    let mut out = Vec::with_capacity((grades.len() * cards.len()).max(1));
    for (g, scale) in grades {
        for c in cards {
            let r = c.radiance.map(|v| v * scale);
            if g.is_neutral() {
                out.push(r);
            } else {
                let v = g.apply(space, [r[0], r[1], r[2]].map(f64::from));
                out.push([v[0] as f32, v[1] as f32, v[2] as f32, 0.0]);
            }
        }
    }
    if out.is_empty() {
        out.push([0.0; 4]);
    }
    out
}

/// One panel's rectangle on its section's unwrapped wall: x, y, width, height (mm).
pub(crate) type PanelWall = [f32; 4];

/// A camera's chroma key as the composite reads it (part of its `InnerCamera`): key colour (w: 1 when
/// on), marker colour (w: shape, 0 none, 1 cross, 2 dot, 3 square), marker size, spacing and offset
/// (unwrapped wall millimetres).
pub(crate) fn chroma_uniform(chroma: Option<&Chroma>) -> [[f32; 4]; 3] {
    let mut u = [[0.0f32; 4]; 3];
    let Some(c) = chroma else {
        return u;
    };
    u[0] = [c.colour.0, c.colour.1, c.colour.2, 1.0];
    if let Some(m) = c.markers {
        let shape = match m.shape {
            MarkerShape::Cross => 1.0,
            MarkerShape::Dot => 2.0,
            MarkerShape::Square => 3.0,
        };
        u[1] = [m.colour.0, m.colour.1, m.colour.2, shape];
        u[2] = [
            m.size_mm as f32,
            m.spacing_mm as f32,
            m.offset_mm.0 as f32,
            m.offset_mm.1 as f32,
        ];
    }
    u
}

/// Each GPU panel's unwrapped wall rectangle, `sources[k]` being the stage panel of GPU panel `k`.
pub(crate) fn panel_walls(stage: &Stage, sources: &[usize]) -> Vec<PanelWall> {
    let mut walls: Vec<PanelWall> = sources
        .iter()
        .map(|&i| {
            let (x, y, w, h) = crate::stage::chroma::panel_wall_rect(stage, &stage.panels[i]);
            [x as f32, y as f32, w as f32, h as f32]
        })
        .collect();
    if walls.is_empty() {
        walls.push([0.0; 4]);
    }
    walls
}

/// Bind group 2 of the composite: the overlay uniform, the panels' wall rectangles, the cards and
/// their graded radiance per grade set.
pub(crate) struct Overlay {
    pub(crate) layout: wgpu::BindGroupLayout,
    pub(crate) group: wgpu::BindGroup,
    uniform: wgpu::Buffer,
    walls: wgpu::Buffer,
    cards: wgpu::Buffer,
    /// [`graded_radiance`] of the frame's cards: room for `card_capacity` cards per grade set
    /// (laid out with the frame's card count as the stride).
    radiance: wgpu::Buffer,
    /// Cards the card buffers hold; they are replaced (and the group rebuilt) by larger ones when
    /// a frame has more.
    card_capacity: usize,
    /// Each grade set's cards grade and card scale (the composite's grade sets, in order) and
    /// the working space.
    card_grades: Vec<(Grade, f32)>,
    space: Primaries,
    /// The bytes the last `prepare` wrote (the uniform, the cards, their graded radiance): what
    /// the frozen outer's outside bake depends on.
    pub(crate) written: Vec<u8>,
}

impl Overlay {
    /// Creates the layout, buffers and bind group; `walls` is parallel to the panel buffer,
    /// `card_grades` the cards grade and card scale of each of the composite's grade sets, the
    /// grade applied in `space`.
    pub(crate) fn new(
        alloc: &Allocator,
        gpu: &Gpu,
        walls: &[PanelWall],
        card_grades: Vec<(Grade, f32)>,
        space: Primaries,
    ) -> Overlay {
        let device = &gpu.device;
        let vf = wgpu::ShaderStages::VERTEX_FRAGMENT;
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("composite overlay layout"),
            entries: &[
                uniform_entry_of::<OverlayUniform>(0, vf, false),
                storage_entry_of::<PanelWall>(1, vf),
                storage_entry_of::<CardUniform>(2, vf),
                storage_entry_of::<[f32; 4]>(3, vf),
            ],
        });
        let uniform = alloc.buffer(
            gpu,
            "overlay uniform",
            std::mem::size_of::<OverlayUniform>() as u64,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        );
        let walls = alloc.buffer_init(
            gpu,
            "panel wall rectangles",
            bytemuck::cast_slice(walls),
            wgpu::BufferUsages::STORAGE,
        );
        let card_capacity = 4;
        let sets = card_grades.len().max(1);
        let (cards, radiance) = Self::card_buffers(alloc, gpu, card_capacity, sets);
        let group = Self::group(alloc, gpu, &layout, [&uniform, &walls, &cards, &radiance]);
        Overlay {
            layout,
            group,
            uniform,
            walls,
            cards,
            radiance,
            card_capacity,
            card_grades,
            space,
            written: Vec::new(),
        }
    }

    /// Replaces the cards grade and card scale of each grade set (a colour edit), the grade
    /// applied in `space`; the radiance buffer is replaced when the number of sets changed.
    pub(crate) fn set_card_grades(
        &mut self,
        alloc: &Allocator,
        gpu: &Gpu,
        card_grades: Vec<(Grade, f32)>,
        space: Primaries,
    ) {
        let resize = card_grades.len().max(1) != self.card_grades.len().max(1);
        self.card_grades = card_grades;
        self.space = space;
        if resize {
            let sets = self.card_grades.len().max(1);
            (self.cards, self.radiance) = Self::card_buffers(alloc, gpu, self.card_capacity, sets);
            let buffers = [&self.uniform, &self.walls, &self.cards, &self.radiance];
            self.group = Self::group(alloc, gpu, &self.layout, buffers);
        }
    }

    /// The card buffer and the graded radiance buffer for `capacity` cards and `sets` grade sets.
    fn card_buffers(
        alloc: &Allocator,
        gpu: &Gpu,
        capacity: usize,
        sets: usize,
    ) -> (wgpu::Buffer, wgpu::Buffer) {
        let usage = wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_DST;
        let cards = alloc.buffer(
            gpu,
            "light cards",
            (std::mem::size_of::<CardUniform>() * capacity) as u64,
            usage,
        );
        let radiance = alloc.buffer(
            gpu,
            "light cards' graded radiance",
            (std::mem::size_of::<[f32; 4]>() * capacity * sets) as u64,
            usage,
        );
        (cards, radiance)
    }

    /// The group of `buffers`: the uniform, the wall rectangles, the cards, their radiance.
    fn group(
        alloc: &Allocator,
        gpu: &Gpu,
        layout: &wgpu::BindGroupLayout,
        buffers: [&wgpu::Buffer; 4],
    ) -> wgpu::BindGroup {
        let entries: Vec<wgpu::BindGroupEntry> = buffers
            .iter()
            .enumerate()
            .map(|(k, b)| wgpu::BindGroupEntry {
                binding: k as u32,
                resource: b.as_entire_binding(),
            })
            .collect();
        alloc.bind_group(
            gpu,
            &wgpu::BindGroupDescriptor {
                label: Some("composite overlay"),
                layout,
                entries: &entries,
            },
        )
    }

    /// Writes the frame's overlay uniform, light cards and their graded radiance (growing the card
    /// buffers when a frame has more cards than they hold): the cards of `cameras[0]` (the primary
    /// camera's inputs).
    /// Errors: a camera's chroma or a card that cannot be rendered.
    pub(crate) fn prepare(
        &mut self,
        alloc: &Allocator,
        gpu: &Gpu,
        cameras: &[FrameInputs],
    ) -> Result<(), RenderError> {
        let Some(inputs) = cameras.first() else {
            return Err(RenderError::NotPrepared);
        };
        let bad = |camera: &str, message: String| {
            RenderError::Input(InputError::Invalid {
                camera: camera.to_string(),
                message,
            })
        };
        for c in cameras {
            if let Some(problem) = c.chroma.as_ref().and_then(|c| c.problem()) {
                return Err(bad(&c.camera_name, problem));
            }
        }
        for (i, card) in inputs.light_cards.iter().enumerate() {
            if let Some(p) = card.problem() {
                let message = format!("light card {i} ('{}'): {p}", card.name);
                return Err(bad(&inputs.camera_name, message));
            }
        }
        let n = inputs.light_cards.len();
        if n > self.card_capacity {
            self.card_capacity = n.next_power_of_two();
            let sets = self.card_grades.len().max(1);
            (self.cards, self.radiance) = Self::card_buffers(alloc, gpu, self.card_capacity, sets);
            let buffers = [&self.uniform, &self.walls, &self.cards, &self.radiance];
            self.group = Self::group(alloc, gpu, &self.layout, buffers);
        }
        let cards: Vec<CardUniform> = inputs
            .light_cards
            .iter()
            .map(|c| CardUniform::new(c, inputs.outer_viewpoint))
            .collect();
        let radiance = graded_radiance(&self.card_grades, &self.space, &cards);
        if !cards.is_empty() {
            gpu.queue
                .write_buffer(&self.cards, 0, bytemuck::cast_slice(&cards));
            gpu.queue
                .write_buffer(&self.radiance, 0, bytemuck::cast_slice(&radiance));
        }
        let u = OverlayUniform {
            cards: [n as u32, 0, 0, 0],
        };
        gpu.queue
            .write_buffer(&self.uniform, 0, bytemuck::bytes_of(&u));
        self.written.clear();
        self.written.extend_from_slice(bytemuck::bytes_of(&u));
        self.written.extend_from_slice(bytemuck::cast_slice(&cards));
        self.written
            .extend_from_slice(bytemuck::cast_slice(&radiance));
        Ok(())
    }
}

impl FrameInputs {
    /// These inputs with the chroma key `chroma` (`None`: the scene, no key), replacing the stage
    /// camera's. The renderer checks it in `prepare` ([`crate::stage::Chroma::problem`]).
    pub fn with_chroma(mut self, chroma: Option<crate::stage::Chroma>) -> FrameInputs {
        self.chroma = chroma;
        self
    }

    /// These inputs with `cards` as the frame's light cards (replacing the stage file's). The
    /// renderer checks them in `prepare` ([`crate::stage::LightCard::problem`]).
    pub fn with_light_cards(mut self, cards: Vec<crate::stage::LightCard>) -> FrameInputs {
        self.light_cards = cards;
        self
    }
}
