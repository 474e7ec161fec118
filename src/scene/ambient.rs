//! A simple image-based ambient term: the diffuse irradiance of the stage's environment as nine
//! spherical-harmonic coefficients (Ramamoorthi & Hanrahan, "An Efficient Representation for
//! Irradiance Environment Maps", SIGGRAPH 2001). glTF materials add `albedo * E(n) / pi` for their
//! normal `n` (and, as a rough glossy term, `F * E(r) / pi` along the reflection `r`).

use glam::{DVec3, Vec3};

/// Irradiance over pi, `E(n) / pi = sum c_k Y_k(n)`, as nine linear-RGB coefficients in the
/// environment image's frame (apply the environment's yaw before evaluating).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Ambient {
    /// `c_k` for the real SH basis in the order (0,0), (1,-1), (1,0), (1,1), (2,-2), (2,-1), (2,0),
    /// (2,1), (2,2).
    pub coefficients: [Vec3; 9],
    /// (cos, sin) of the rotation from stage to image directions (`environment` yaw).
    pub yaw_cs: (f32, f32),
}

impl Default for Ambient {
    /// No ambient light.
    fn default() -> Self {
        Ambient {
            coefficients: [Vec3::ZERO; 9],
            yaw_cs: (1.0, 0.0),
        }
    }
}

/// The real spherical harmonics up to order 2 at unit direction `d` (same order as
/// [`Ambient::coefficients`]); mirrored by `sh_basis` in `shaders/gltf.wgsl`.
pub fn sh_basis(d: DVec3) -> [f64; 9] {
    let (x, y, z) = (d.x, d.y, d.z);
    [
        0.282_095,
        0.488_603 * y,
        0.488_603 * z,
        0.488_603 * x,
        1.092_548 * x * y,
        1.092_548 * y * z,
        0.315_392 * (3.0 * z * z - 1.0),
        1.092_548 * x * z,
        0.546_274 * (x * x - y * y),
    ]
}

impl Ambient {
    /// Projects an equirectangular image (linear RGB; conventions.md's mapping) onto the basis and
    /// convolves with the clamped cosine (`A_0 = pi`, `A_1 = 2 pi / 3`, `A_2 = pi / 4`), integrating
    /// over a 128 x 64 box-filtered grid with solid-angle weights. `yaw_deg` as for the environment.
    pub fn from_equirect(img: &image::DynamicImage, yaw_deg: f64) -> Ambient {
        // Box-filter into a 128 x 64 grid of cells (image's own resize clamps floats to 1), then
        // integrate over the cells.
        let src = img.to_rgba32f();
        let (sw, sh) = (src.width().max(1) as usize, src.height().max(1) as usize);
        // Never more cells than pixels (an empty cell would drop its solid angle).
        let (w, h) = (128usize.min(sw), 64usize.min(sh));
        let mut cells = vec![(DVec3::ZERO, 0u32); w * h];
        for (x, y, p) in src.enumerate_pixels() {
            let cell = &mut cells[(y as usize * h / sh) * w + x as usize * w / sw];
            cell.0 += DVec3::new(p[0] as f64, p[1] as f64, p[2] as f64);
            cell.1 += 1;
        }
        let mut sum = [DVec3::ZERO; 9];
        let (dphi, dtheta) = (
            std::f64::consts::TAU / w as f64,
            std::f64::consts::PI / h as f64,
        );
        for (k, (total, count)) in cells.iter().enumerate() {
            if *count == 0 {
                continue;
            }
            let u = ((k % w) as f64 + 0.5) / w as f64;
            let v = ((k / w) as f64 + 0.5) / h as f64;
            let phi = (u - 0.5) * std::f64::consts::TAU;
            let theta = v * std::f64::consts::PI;
            let d = DVec3::new(
                theta.sin() * phi.sin(),
                theta.cos(),
                -theta.sin() * phi.cos(),
            );
            let weight = theta.sin() * dphi * dtheta;
            let l = *total / *count as f64 * weight;
            for (s, b) in sum.iter_mut().zip(sh_basis(d)) {
                *s += l * b;
            }
        }
        let band = [
            1.0,
            2.0 / 3.0,
            2.0 / 3.0,
            2.0 / 3.0,
            0.25,
            0.25,
            0.25,
            0.25,
            0.25,
        ];
        let yaw = -yaw_deg.to_radians();
        Ambient {
            // (A_l / pi) L_lm.
            coefficients: std::array::from_fn(|k| (sum[k] * band[k]).as_vec3()),
            yaw_cs: (yaw.cos() as f32, yaw.sin() as f32),
        }
    }

    /// `E(n) / pi` for a stage direction `n` (the CPU mirror of the shader).
    pub fn irradiance_over_pi(&self, n: DVec3) -> Vec3 {
        let (c, s) = (self.yaw_cs.0 as f64, self.yaw_cs.1 as f64);
        let d = DVec3::new(c * n.x + s * n.z, n.y, -s * n.x + c * n.z);
        sh_basis(d.normalize())
            .iter()
            .zip(self.coefficients)
            .map(|(b, k)| k * *b as f32)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn equirect(f: impl Fn(DVec3) -> f32) -> image::DynamicImage {
        let (w, h) = (256u32, 128u32);
        image::DynamicImage::ImageRgba32F(image::Rgba32FImage::from_fn(w, h, |x, y| {
            let phi = ((x as f64 + 0.5) / w as f64 - 0.5) * std::f64::consts::TAU;
            let theta = (y as f64 + 0.5) / h as f64 * std::f64::consts::PI;
            let d = DVec3::new(
                theta.sin() * phi.sin(),
                theta.cos(),
                -theta.sin() * phi.cos(),
            );
            let v = f(d);
            image::Rgba([v, v, v, 1.0])
        }))
    }

    #[test]
    fn constant_sky_gives_its_radiance_everywhere() {
        // L = 1: E = pi for every normal, E / pi = 1; also from an image smaller than the grid.
        let a = Ambient::from_equirect(&equirect(|_| 1.0), 0.0);
        let small = image::DynamicImage::ImageRgba32F(image::Rgba32FImage::from_pixel(
            16,
            8,
            image::Rgba([1.0, 1.0, 1.0, 1.0]),
        ));
        let b = Ambient::from_equirect(&small, 0.0);
        assert!((b.irradiance_over_pi(DVec3::Z).x - 1.0).abs() < 1e-2);
        for n in [
            DVec3::X,
            DVec3::NEG_Y,
            DVec3::new(0.3, 0.5, -0.8).normalize(),
        ] {
            assert!((a.irradiance_over_pi(n).x - 1.0).abs() < 2e-3, "{n}");
        }
    }

    #[test]
    fn linear_sky_gives_the_hand_computed_irradiance() {
        // L(d) = 1 + d.x: E(n) / pi = 1 + (2/3) n.x (the cosine lobe's first moment is 2/3).
        // Turned by yaw 90 degrees (positive turns the image left), the bright side moves from +X to -Z.
        let a = Ambient::from_equirect(&equirect(|d| 1.0 + d.x as f32), 0.0);
        let got = [DVec3::X, DVec3::NEG_X, DVec3::Y, DVec3::Z].map(|n| a.irradiance_over_pi(n).x);
        assert!((got[0] - 5.0 / 3.0).abs() < 5e-3, "{got:?}");
        assert!((a.irradiance_over_pi(DVec3::NEG_X).x - 1.0 / 3.0).abs() < 5e-3);
        assert!((a.irradiance_over_pi(DVec3::Y).x - 1.0).abs() < 5e-3);
        let t = Ambient::from_equirect(&equirect(|d| 1.0 + d.x as f32), 90.0);
        assert!((t.irradiance_over_pi(DVec3::NEG_Z).x - 5.0 / 3.0).abs() < 5e-3);
    }
}
