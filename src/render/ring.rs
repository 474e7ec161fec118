//! A small ring of uniform structs addressed by dynamic offsets, replacing fixed view slots.
//!
//! Values are pushed during `prepare` (each push returns its dynamic offset) and written to the GPU
//! by [`UniformRing::flush`]; `record` only binds offsets. The stride is the struct's size rounded
//! up to the adapter's `min_uniform_buffer_offset_alignment`. When more values are pushed than the
//! buffer holds, it is replaced by one of twice the slots (counted as an allocation) and its
//! [`UniformRing::generation`] changes, so that bind groups over it are rebuilt.

use std::marker::PhantomData;

use super::targets::Allocator;
use crate::gpu::Gpu;

/// Rounds `size` up to a multiple of `align` (a power of two, as wgpu guarantees).
pub fn aligned_stride(size: u64, align: u64) -> u64 {
    size.div_ceil(align.max(1)) * align.max(1)
}

/// Uniform values of type `T` at aligned dynamic offsets in one buffer.
pub struct UniformRing<T> {
    label: String,
    buffer: wgpu::Buffer,
    stride: u64,
    slots: u64,
    staging: Vec<u8>,
    flushed: usize,
    generation: u64,
    _t: PhantomData<T>,
}

impl<T: bytemuck::Pod> UniformRing<T> {
    /// A ring of `slots` values.
    pub fn new(alloc: &Allocator, gpu: &Gpu, label: &str, slots: u64) -> UniformRing<T> {
        let align = gpu.device.limits().min_uniform_buffer_offset_alignment as u64;
        let stride = aligned_stride(std::mem::size_of::<T>() as u64, align);
        let slots = slots.max(1);
        UniformRing {
            label: label.to_string(),
            buffer: Self::create(alloc, gpu, label, stride * slots),
            stride,
            slots,
            staging: Vec::new(),
            flushed: 0,
            generation: alloc.next_generation(),
            _t: PhantomData,
        }
    }

    fn create(alloc: &Allocator, gpu: &Gpu, label: &str, size: u64) -> wgpu::Buffer {
        alloc.buffer(
            gpu,
            label,
            size,
            wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
        )
    }

    /// Forgets every value (the start of a frame).
    pub fn reset(&mut self) {
        self.staging.clear();
        self.flushed = 0;
    }

    /// Appends `value`; returns its dynamic offset. Written by the next [`UniformRing::flush`].
    pub fn push(&mut self, value: &T) -> u32 {
        let offset = self.staging.len();
        self.staging.extend_from_slice(bytemuck::bytes_of(value));
        self.staging.resize(offset + self.stride as usize, 0);
        offset as u32
    }

    /// Writes the values pushed since the last flush, growing the buffer first if needed.
    pub fn flush(&mut self, alloc: &Allocator, gpu: &Gpu) {
        let needed = (self.staging.len() as u64).div_ceil(self.stride);
        if needed > self.slots {
            self.slots = needed.next_power_of_two();
            self.buffer = Self::create(alloc, gpu, &self.label, self.stride * self.slots);
            self.generation = alloc.next_generation();
            self.flushed = 0;
        }
        if self.flushed < self.staging.len() {
            gpu.queue.write_buffer(
                &self.buffer,
                self.flushed as u64,
                &self.staging[self.flushed..],
            );
            self.flushed = self.staging.len();
        }
    }

    /// The binding of one value (bound with a dynamic offset from [`UniformRing::push`]).
    pub fn binding(&self) -> wgpu::BindingResource<'_> {
        wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer: &self.buffer,
            offset: 0,
            size: wgpu::BufferSize::new(std::mem::size_of::<T>() as u64),
        })
    }

    /// Changes whenever the buffer is replaced.
    pub fn generation(&self) -> u64 {
        self.generation
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn stride_rounds_up_to_the_alignment() {
        assert_eq!(super::aligned_stride(144, 256), 256);
        assert_eq!(super::aligned_stride(144, 64), 192);
        assert_eq!(super::aligned_stride(256, 256), 256);
        assert_eq!(super::aligned_stride(16, 1), 16);
    }
}
