//! The control panel: a small egui window over the view with the same controls as the keys
//! (view, id overlay, difference, focal length, overscan, reset) and the status text. Drawn last,
//! into the window's image, only while shown (key P toggles; hidden by default with `--frames`).

use winit::event::WindowEvent;
use winit::window::Window;

use super::View;

/// The panel's copy of the window state it edits; written back after the panel ran.
#[derive(Clone, Debug, PartialEq)]
pub struct Controls {
    /// The view shown.
    pub view: View,
    /// Cabinet outline and id overlay (Outputs view).
    pub overlay: bool,
    /// Difference against the direct render (Camera view).
    pub difference: bool,
    /// Focal length in millimetres.
    pub focal_mm: f64,
    /// Overscan (the largest of the four sides, as a fraction).
    pub overscan: f64,
    /// The reset button was clicked.
    pub reset: bool,
}

/// What one run of the panel produced, painted later in the frame.
pub struct Painted {
    primitives: Vec<egui::ClippedPrimitive>,
    pixels_per_point: f32,
}

/// egui's context, its winit input state and its wgpu renderer.
pub struct Panel {
    ctx: egui::Context,
    state: egui_winit::State,
    renderer: egui_wgpu::Renderer,
    /// Texture changes not uploaded yet (kept when a frame is skipped before painting).
    textures: egui::TexturesDelta,
    /// Whether the panel is drawn and takes input.
    pub shown: bool,
}

impl Panel {
    /// A panel drawing into textures of `format`.
    pub fn new(
        window: &Window,
        device: &wgpu::Device,
        format: wgpu::TextureFormat,
        shown: bool,
    ) -> Panel {
        let ctx = egui::Context::default();
        let state = egui_winit::State::new(
            ctx.clone(),
            egui::ViewportId::ROOT,
            window,
            Some(window.scale_factor() as f32),
            None,
            Some(device.limits().max_texture_dimension_2d as usize),
        );
        let renderer = egui_wgpu::Renderer::new(device, format, Default::default());
        Panel {
            ctx,
            state,
            renderer,
            textures: Default::default(),
            shown,
        }
    }

    /// Feeds a window event to egui (while shown).
    pub fn on_event(&mut self, window: &Window, event: &WindowEvent) {
        if self.shown {
            let _ = self.state.on_window_event(window, event);
        }
    }

    /// Whether egui wants the pointer (it is over the panel or dragging a slider): then the
    /// orbit and fly controls must not see it.
    pub fn wants_pointer(&self) -> bool {
        self.shown && (self.ctx.egui_wants_pointer_input() || self.ctx.is_pointer_over_egui())
    }

    /// Whether egui wants the keyboard (a widget has focus).
    pub fn wants_keyboard(&self) -> bool {
        self.shown && self.ctx.egui_wants_keyboard_input()
    }

    /// Lays the panel out for this frame, editing `controls`; `None` while hidden.
    pub fn run(
        &mut self,
        window: &Window,
        controls: &mut Controls,
        status: &[String],
    ) -> Option<Painted> {
        if !self.shown {
            return None;
        }
        let input = self.state.take_egui_input(window);
        let out = self.ctx.run_ui(input, |ui| {
            egui::Window::new("Parallax")
                .default_pos([8.0, 8.0])
                .resizable(false)
                .show(ui.ctx(), |ui| {
                    ui.horizontal(|ui| {
                        for (v, label) in [
                            (View::Stage, "Stage"),
                            (View::Outputs, "Outputs"),
                            (View::Camera, "Camera"),
                        ] {
                            ui.selectable_value(&mut controls.view, v, label);
                        }
                    });
                    ui.checkbox(&mut controls.overlay, "Cabinet ids (Outputs)");
                    ui.checkbox(&mut controls.difference, "Difference (Camera)");
                    ui.add(
                        egui::Slider::new(&mut controls.focal_mm, 4.0..=1000.0)
                            .logarithmic(true)
                            .text("focal")
                            .suffix(" mm"),
                    );
                    ui.add(egui::Slider::new(&mut controls.overscan, 0.0..=2.0).text("overscan"));
                    if ui.button("Reset").clicked() {
                        controls.reset = true;
                    }
                    // The same lines as the band at the bottom; folded by default to stay small.
                    ui.collapsing("Status", |ui| {
                        for line in status {
                            ui.label(egui::RichText::new(line).small().monospace());
                        }
                    });
                });
        });
        self.state
            .handle_platform_output(window, out.platform_output);
        let primitives = self.ctx.tessellate(out.shapes, out.pixels_per_point);
        self.textures.append(out.textures_delta);
        Some(Painted {
            primitives,
            pixels_per_point: out.pixels_per_point,
        })
    }

    /// Draws `painted` over `target` (`size` pixels, the format given to [`Panel::new`]).
    pub fn paint(
        &mut self,
        device: &wgpu::Device,
        queue: &wgpu::Queue,
        encoder: &mut wgpu::CommandEncoder,
        target: &wgpu::TextureView,
        size: (u32, u32),
        painted: Painted,
    ) {
        let mut textures = std::mem::take(&mut self.textures);
        for (id, deltas) in &textures.set {
            for delta in deltas {
                self.renderer.update_texture(device, queue, *id, delta);
            }
        }
        let screen = egui_wgpu::ScreenDescriptor {
            size_in_pixels: [size.0, size.1],
            pixels_per_point: painted.pixels_per_point,
        };
        let extra =
            self.renderer
                .update_buffers(device, queue, encoder, &painted.primitives, &screen);
        if !extra.is_empty() {
            queue.submit(extra);
        }
        {
            let mut pass = encoder
                .begin_render_pass(&wgpu::RenderPassDescriptor {
                    label: Some("control panel"),
                    color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                        view: target,
                        depth_slice: None,
                        resolve_target: None,
                        ops: wgpu::Operations {
                            load: wgpu::LoadOp::Load,
                            store: wgpu::StoreOp::Store,
                        },
                    })],
                    ..Default::default()
                })
                .forget_lifetime();
            self.renderer
                .render(&mut pass, &painted.primitives, &screen);
        }
        for id in &textures.free {
            self.renderer.free_texture(id);
        }
        // Applied above (egui checks that no delta is dropped unapplied).
        textures.clear();
    }
}

impl Drop for Panel {
    fn drop(&mut self) {
        // Changes from a last frame that was never painted: nothing left to draw them into.
        self.textures.clear();
    }
}
