//! FreeD D1 decoder and encoder: bytes in, a typed message or a typed error out.
//!
//! A D1 message is 29 bytes, big-endian: `0xD1`, camera id, pan, tilt, roll (signed 24-bit,
//! 1/32768 degree), X, Y, Z (signed 24-bit, 1/64 mm; Z is height), zoom and focus (unsigned 24-bit raw
//! encoder counts), two spare bytes, and a checksum byte equal to `0x40` minus the sum of bytes 0..28,
//! modulo 256.

use thiserror::Error;

/// Length of a D1 message in bytes.
pub const D1_LEN: usize = 29;
/// Message type byte of D1.
pub const D1_TYPE: u8 = 0xD1;
/// Angle units per degree.
pub const ANGLE_SCALE: f64 = 32768.0;
/// Position units per millimetre.
pub const POSITION_SCALE: f64 = 64.0;

/// A decoded D1 message, fields as sent (raw integers), with conversions to degrees and metres.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FreedD1 {
    /// Camera id (byte 1).
    pub camera_id: u8,
    /// Pan in 1/32768 degree (positive turns right, clockwise seen from above).
    pub pan: i32,
    /// Tilt in 1/32768 degree (positive looks up).
    pub tilt: i32,
    /// Roll in 1/32768 degree (positive is clockwise seen from behind the camera).
    pub roll: i32,
    /// X in 1/64 mm (horizontal).
    pub x: i32,
    /// Y in 1/64 mm (horizontal; pan 0 looks along +Y).
    pub y: i32,
    /// Z in 1/64 mm (height).
    pub z: i32,
    /// Raw zoom encoder count (24-bit).
    pub zoom: u32,
    /// Raw focus encoder count (24-bit).
    pub focus: u32,
    /// The two spare bytes (often user data or iris), big-endian.
    pub spare: u16,
}

impl FreedD1 {
    /// Pan in degrees.
    pub fn pan_deg(&self) -> f64 {
        self.pan as f64 / ANGLE_SCALE
    }
    /// Tilt in degrees.
    pub fn tilt_deg(&self) -> f64 {
        self.tilt as f64 / ANGLE_SCALE
    }
    /// Roll in degrees.
    pub fn roll_deg(&self) -> f64 {
        self.roll as f64 / ANGLE_SCALE
    }
    /// Position `(x, y, z)` in metres, FreeD axes.
    pub fn position_m(&self) -> [f64; 3] {
        let s = POSITION_SCALE * 1000.0;
        [self.x as f64 / s, self.y as f64 / s, self.z as f64 / s]
    }

    /// A message from degrees and metres (rounded to the nearest unit, clamped to 24 bits).
    pub fn from_units(
        camera_id: u8,
        pan_tilt_roll_deg: [f64; 3],
        position_m: [f64; 3],
        zoom: u32,
        focus: u32,
    ) -> FreedD1 {
        let a = |d: f64| clamp24((d * ANGLE_SCALE).round());
        let p = |m: f64| clamp24((m * 1000.0 * POSITION_SCALE).round());
        FreedD1 {
            camera_id,
            pan: a(pan_tilt_roll_deg[0]),
            tilt: a(pan_tilt_roll_deg[1]),
            roll: a(pan_tilt_roll_deg[2]),
            x: p(position_m[0]),
            y: p(position_m[1]),
            z: p(position_m[2]),
            zoom: zoom.min(0xFF_FFFF),
            focus: focus.min(0xFF_FFFF),
            spare: 0,
        }
    }
}

fn clamp24(v: f64) -> i32 {
    if v.is_nan() {
        0
    } else {
        v.clamp(-8_388_608.0, 8_388_607.0) as i32
    }
}

/// Why a packet is not a valid D1 message.
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum FreedError {
    /// The packet is not 29 bytes long.
    #[error("FreeD D1 packet must be 29 bytes, got {0}")]
    Length(usize),
    /// The first byte is not 0xD1.
    #[error("FreeD message type 0x{0:02X} is not D1")]
    Type(u8),
    /// The checksum byte does not match.
    #[error("FreeD checksum 0x{found:02X} does not match 0x{expected:02X}")]
    Checksum {
        /// The checksum the body needs.
        expected: u8,
        /// The checksum byte sent.
        found: u8,
    },
}

/// The checksum of a message body: `0x40` minus the sum of the bytes, modulo 256.
pub fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0x40u8, |c, &b| c.wrapping_sub(b))
}

#[inline]
fn s24(b: &[u8], i: usize) -> i32 {
    // Sign-extend a big-endian 24-bit value by placing it in the top bytes of an i32.
    (i32::from_be_bytes([b[i], b[i + 1], b[i + 2], 0])) >> 8
}

#[inline]
fn u24(b: &[u8], i: usize) -> u32 {
    u32::from_be_bytes([0, b[i], b[i + 1], b[i + 2]])
}

/// Decodes a D1 message. Rejects any other length, type byte or a wrong checksum.
pub fn decode(bytes: &[u8]) -> Result<FreedD1, FreedError> {
    let b: &[u8; D1_LEN] = bytes
        .try_into()
        .map_err(|_| FreedError::Length(bytes.len()))?;
    if b[0] != D1_TYPE {
        return Err(FreedError::Type(b[0]));
    }
    let expected = checksum(&b[..28]);
    if b[28] != expected {
        return Err(FreedError::Checksum {
            expected,
            found: b[28],
        });
    }
    Ok(FreedD1 {
        camera_id: b[1],
        pan: s24(b, 2),
        tilt: s24(b, 5),
        roll: s24(b, 8),
        x: s24(b, 11),
        y: s24(b, 14),
        z: s24(b, 17),
        zoom: u24(b, 20),
        focus: u24(b, 23),
        spare: u16::from_be_bytes([b[26], b[27]]),
    })
}

/// Encodes a D1 message (values outside 24 bits are truncated to their low 24 bits).
pub fn encode(m: &FreedD1) -> [u8; D1_LEN] {
    let mut b = [0u8; D1_LEN];
    b[0] = D1_TYPE;
    b[1] = m.camera_id;
    let put = |b: &mut [u8; D1_LEN], i: usize, v: u32| {
        let bytes = v.to_be_bytes();
        b[i..i + 3].copy_from_slice(&bytes[1..4]);
    };
    put(&mut b, 2, m.pan as u32);
    put(&mut b, 5, m.tilt as u32);
    put(&mut b, 8, m.roll as u32);
    put(&mut b, 11, m.x as u32);
    put(&mut b, 14, m.y as u32);
    put(&mut b, 17, m.z as u32);
    put(&mut b, 20, m.zoom);
    put(&mut b, 23, m.focus);
    b[26..28].copy_from_slice(&m.spare.to_be_bytes());
    b[28] = checksum(&b[..28]);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_extension_of_24_bit_values() {
        assert_eq!(s24(&[0xFF, 0xFF, 0xFF], 0), -1);
        assert_eq!(s24(&[0x80, 0x00, 0x00], 0), -8_388_608);
        assert_eq!(s24(&[0x7F, 0xFF, 0xFF], 0), 8_388_607);
        assert_eq!(u24(&[0xFF, 0xFF, 0xFF], 0), 0xFF_FFFF);
    }

    #[test]
    fn encode_decode_round_trip() {
        let m = FreedD1 {
            camera_id: 7,
            pan: -8_388_608,
            tilt: 8_388_607,
            roll: -1,
            x: 123_456,
            y: -654_321,
            z: 0,
            zoom: 0xFF_FFFF,
            focus: 1,
            spare: 0xBEEF,
        };
        assert_eq!(decode(&encode(&m)), Ok(m));
    }
}
