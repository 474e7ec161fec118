//! Reading accessors with every range checked (glTF 2.0 section 3.6): a broken accessor is a located
//! problem, never a panic or an out-of-bounds read. Only called on a document that passed JSON
//! validation (every index resolves, every enum is known).

use gltf::accessor::{DataType, Dimensions};

/// Components per element of an accessor type.
pub(super) fn components(d: Dimensions) -> usize {
    match d {
        Dimensions::Scalar => 1,
        Dimensions::Vec2 => 2,
        Dimensions::Vec3 => 3,
        Dimensions::Vec4 | Dimensions::Mat2 => 4,
        Dimensions::Mat3 => 9,
        Dimensions::Mat4 => 16,
    }
}

fn component_size(t: DataType) -> usize {
    match t {
        DataType::I8 | DataType::U8 => 1,
        DataType::I16 | DataType::U16 => 2,
        DataType::U32 | DataType::F32 => 4,
    }
}

/// The byte range of every element: `(start of element 0, stride, element size)` within `data`, after
/// checking that the accessor's last element ends inside its buffer view and the view inside its
/// buffer. `Ok(None)`: the accessor has no buffer view (all zeros).
fn layout(
    acc: &gltf::Accessor<'_>,
    buffers: &[gltf::buffer::Data],
) -> Result<Option<(usize, usize, usize, usize)>, String> {
    let elem = component_size(acc.data_type()) * components(acc.dimensions());
    let Some(view) = acc.view() else {
        return Ok(None);
    };
    let buffer = view.buffer().index();
    let data = buffers
        .get(buffer)
        .ok_or_else(|| format!("buffer {buffer} was not loaded"))?;
    let view_end = view
        .offset()
        .checked_add(view.length())
        .filter(|&e| e <= data.len())
        .ok_or_else(|| {
            format!(
                "buffer view {} (bytes {}..+{}) runs past the end of buffer {buffer} ({} bytes)",
                view.index(),
                view.offset(),
                view.length(),
                data.len()
            )
        })?;
    let stride = view.stride().unwrap_or(elem);
    if stride < elem {
        return Err(format!(
            "byte stride {stride} is smaller than an element ({elem} bytes)"
        ));
    }
    let count = acc.count();
    let start = view.offset().checked_add(acc.offset());
    let needed = match count {
        0 => Some(0),
        n => (n - 1)
            .checked_mul(stride)
            .and_then(|b| b.checked_add(elem)),
    };
    match (start, needed) {
        (Some(s), Some(n)) if s.checked_add(n).is_some_and(|e| e <= view_end) => {
            Ok(Some((s, stride, elem, count)))
        }
        _ => Err(format!(
            "{count} elements of {elem} bytes (stride {stride}) from offset {} run past the end of buffer view {} ({} bytes)",
            acc.offset(),
            view.index(),
            view.length()
        )),
    }
}

fn component(bytes: &[u8], t: DataType, normalized: bool) -> f32 {
    let b = |i: usize| bytes.get(i).copied().unwrap_or(0);
    match t {
        DataType::F32 => f32::from_le_bytes([b(0), b(1), b(2), b(3)]),
        DataType::U8 if normalized => b(0) as f32 / 255.0,
        DataType::U8 => b(0) as f32,
        DataType::I8 if normalized => (b(0) as i8 as f32 / 127.0).max(-1.0),
        DataType::I8 => b(0) as i8 as f32,
        DataType::U16 => {
            let v = u16::from_le_bytes([b(0), b(1)]) as f32;
            if normalized { v / 65535.0 } else { v }
        }
        DataType::I16 => {
            let v = i16::from_le_bytes([b(0), b(1)]) as f32;
            if normalized {
                (v / 32767.0).max(-1.0)
            } else {
                v
            }
        }
        DataType::U32 => u32::from_le_bytes([b(0), b(1), b(2), b(3)]) as f32,
    }
}

/// Reads a float accessor of `N` components per element (normalised integers become floats in
/// `[0, 1]` or `[-1, 1]`, spec 3.11). Errors: wrong type, sparse storage, ranges past the view or
/// buffer, non-finite values.
pub(super) fn read_floats<const N: usize>(
    acc: &gltf::Accessor<'_>,
    buffers: &[gltf::buffer::Data],
) -> Result<Vec<[f32; N]>, String> {
    if components(acc.dimensions()) != N {
        return Err(format!(
            "has {} components per element, expected {N}",
            components(acc.dimensions())
        ));
    }
    if acc.sparse().is_some() {
        return Err("sparse accessors are not supported".into());
    }
    let t = acc.data_type();
    if !matches!(t, DataType::F32) && !acc.normalized() {
        return Err(format!(
            "component type {t:?} must be FLOAT or normalised for this attribute"
        ));
    }
    let Some((start, stride, _, count)) = layout(acc, buffers)? else {
        return Ok(vec![[0.0; N]; acc.count()]);
    };
    let data = &buffers[acc.view().map(|v| v.buffer().index()).unwrap_or(0)];
    let cs = component_size(t);
    let mut out = Vec::with_capacity(count);
    for k in 0..count {
        let mut e = [0.0f32; N];
        for (c, v) in e.iter_mut().enumerate() {
            let at = start + k * stride + c * cs;
            *v = component(&data[at..at + cs], t, acc.normalized());
            if !v.is_finite() {
                return Err(format!("element {k} is not a finite number"));
            }
        }
        out.push(e);
    }
    Ok(out)
}

/// Reads an index accessor (unsigned byte, short or int scalars). Errors as [`read_floats`].
pub(super) fn read_indices(
    acc: &gltf::Accessor<'_>,
    buffers: &[gltf::buffer::Data],
) -> Result<Vec<u32>, String> {
    if !matches!(acc.dimensions(), Dimensions::Scalar) {
        return Err("indices must be SCALAR".into());
    }
    if acc.sparse().is_some() {
        return Err("sparse accessors are not supported".into());
    }
    let t = acc.data_type();
    let cs = match t {
        DataType::U8 | DataType::U16 | DataType::U32 => component_size(t),
        _ => {
            return Err(format!(
                "index component type {t:?} is not an unsigned integer"
            ));
        }
    };
    let Some((start, stride, _, count)) = layout(acc, buffers)? else {
        return Ok(vec![0; acc.count()]);
    };
    let data = &buffers[acc.view().map(|v| v.buffer().index()).unwrap_or(0)];
    Ok((0..count)
        .map(|k| {
            let at = start + k * stride;
            let b = &data[at..at + cs];
            match cs {
                1 => b[0] as u32,
                2 => u16::from_le_bytes([b[0], b[1]]) as u32,
                _ => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            }
        })
        .collect())
}
