//! OpenTrackIO packets: the 16-byte header, the Fletcher-16 checksum, segmentation and
//! reassembly, duplicate and late messages.
//!
//! Each UDP datagram is a 16-byte big-endian header followed by a payload segment:
//!
//! | bytes  | field                                                            |
//! |--------|------------------------------------------------------------------|
//! | 0..4   | identifier `"OTrk"`                                              |
//! | 4      | reserved (ignored)                                               |
//! | 5      | encoding: 0x01 JSON, 0x02 CBOR                                   |
//! | 6..8   | sequence number: every packet has its own (+1 per packet)        |
//! | 8..12  | segment offset: where this segment goes in the payload           |
//! | 12..14 | bit 15: last segment; bits 0..14: length of this segment's bytes |
//! | 14..16 | Fletcher-16 over bytes 0..14 then the segment                    |
//!
//! The checksum is Fletcher-16 with modulus 256: two 8-bit running sums that wrap, `sum2` in the
//! high byte (the current OpenTrackIO text and SMPTE's reference sender). The older modulus-255
//! form is accepted only when asked for ([`parse_packet_with`]).
//!
//! Segmentation (as SMPTE's reference sender does it): a payload longer than 1,484 bytes (a
//! 1,500-byte MTU less the header) is cut into consecutive pieces; piece `k` carries sequence number
//! `first + k` (wrapping at 16 bits), the byte offset of the piece, and the last-segment flag on the
//! final piece. A message is thus identified by the sequence number of its first packet (offset 0);
//! its pieces follow with consecutive sequence numbers and contiguous offsets. The reference sender
//! advances its counter by one per *message*, so consecutive messages' sequence ranges overlap: the
//! (sequence, offset) pair, not the sequence alone, identifies a packet.

use std::collections::VecDeque;

use super::OtioError;

/// Header length in bytes.
pub const HEADER_LEN: usize = 16;
/// The identifier at the start of every packet.
pub const IDENTIFIER: &[u8; 4] = b"OTrk";
/// Largest reassembled payload accepted (bytes).
pub const MAX_PAYLOAD: usize = 1 << 20;
/// Largest segment a header can describe (15-bit length).
pub const MAX_SEGMENT: usize = 0x7FFF;
/// The reference sender's segment size: a 1,500-byte MTU less the 16-byte header.
pub const SPEC_SEGMENT: usize = 1500 - HEADER_LEN;

/// Unfinished messages kept per sender; the oldest is abandoned beyond this.
const MAX_PARTIALS: usize = 8;
/// Segments kept while their message's first packet has not arrived.
const MAX_ORPHANS: usize = 64;
/// Packets remembered for duplicate detection.
const RECENT: usize = 256;
/// A message whose first sequence number is this far or more behind the newest is abandoned.
const STALE_WINDOW: i32 = 256;
/// A message up to this far behind the newest one delivered is late; further back counts as a
/// sender restart (accepted).
const LATE_WINDOW: i32 = 1024;

/// Payload encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// 0x01
    Json,
    /// 0x02
    Cbor,
}

impl Encoding {
    /// The header byte.
    pub fn byte(self) -> u8 {
        match self {
            Encoding::Json => 0x01,
            Encoding::Cbor => 0x02,
        }
    }
}

/// A parsed packet header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Payload encoding.
    pub encoding: Encoding,
    /// Sequence number of this packet.
    pub sequence: u16,
    /// Byte offset of this segment in the payload.
    pub segment_offset: u32,
    /// Whether this is the last (or only) segment.
    pub last_segment: bool,
    /// Length of this segment in bytes.
    pub payload_len: u16,
    /// The checksum as sent (verified).
    pub checksum: u16,
    /// Whether the checksum matched only the older modulus-255 form.
    pub legacy_checksum: bool,
}

/// Fletcher-16 as OpenTrackIO defines it: over several byte slices in order, `sum1 += byte`,
/// `sum2 += sum1`, both modulo 256; the result is `(sum2 << 8) | sum1`.
pub fn fletcher16(parts: &[&[u8]]) -> u16 {
    let (mut a, mut b) = (0u8, 0u8);
    for part in parts {
        for &x in *part {
            a = a.wrapping_add(x);
            b = b.wrapping_add(a);
        }
    }
    u16::from_be_bytes([b, a])
}

/// The older Fletcher-16 with sums modulo 255 (accepted only when a camera's tracking settings
/// say `legacy_checksum: true`); `(sum2 << 8) | sum1`.
pub fn fletcher16_mod255(parts: &[&[u8]]) -> u16 {
    let (mut a, mut b) = (0u32, 0u32);
    for part in parts {
        // 5802 bytes keep the 32-bit sums from overflowing before the reduction.
        for chunk in part.chunks(5802) {
            for &x in chunk {
                a += x as u32;
                b += a;
            }
            a %= 255;
            b %= 255;
        }
    }
    ((b << 8) | a) as u16
}

/// Parses and verifies one packet (modulus-256 checksum only).
pub fn parse_packet(bytes: &[u8]) -> Result<(Header, &[u8]), OtioError> {
    parse_packet_with(bytes, false)
}

/// Parses and verifies one packet: its header and its payload segment. With `accept_legacy`, a
/// checksum that matches only the older modulus-255 form is accepted too (and flagged in the
/// header).
///
/// Errors: [`OtioError::Length`], [`OtioError::Identifier`], [`OtioError::Encoding`],
/// [`OtioError::Checksum`] (the expected value given is the modulus-256 one).
pub fn parse_packet_with(bytes: &[u8], accept_legacy: bool) -> Result<(Header, &[u8]), OtioError> {
    if bytes.len() < HEADER_LEN {
        return Err(OtioError::Length {
            got: bytes.len(),
            expected: HEADER_LEN,
        });
    }
    if &bytes[0..4] != IDENTIFIER {
        return Err(OtioError::Identifier);
    }
    let encoding = match bytes[5] {
        0x01 => Encoding::Json,
        0x02 => Encoding::Cbor,
        other => return Err(OtioError::Encoding(other)),
    };
    let sequence = u16::from_be_bytes([bytes[6], bytes[7]]);
    let segment_offset = u32::from_be_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
    let flag_len = u16::from_be_bytes([bytes[12], bytes[13]]);
    let checksum = u16::from_be_bytes([bytes[14], bytes[15]]);
    let payload_len = flag_len & 0x7FFF;
    let expected = HEADER_LEN + payload_len as usize;
    if bytes.len() != expected {
        return Err(OtioError::Length {
            got: bytes.len(),
            expected,
        });
    }
    let payload = &bytes[HEADER_LEN..];
    let parts: [&[u8]; 2] = [&bytes[..14], payload];
    let computed = fletcher16(&parts);
    let legacy = computed != checksum;
    if legacy && !(accept_legacy && fletcher16_mod255(&parts) == checksum) {
        return Err(OtioError::Checksum {
            expected: computed,
            found: checksum,
        });
    }
    Ok((
        Header {
            encoding,
            sequence,
            segment_offset,
            last_segment: flag_len & 0x8000 != 0,
            payload_len,
            checksum,
            legacy_checksum: legacy,
        },
        payload,
    ))
}

/// Splits a payload into packets as the reference sender does: at most `max_segment` payload bytes
/// each (clamped to 1..=32767; [`SPEC_SEGMENT`] on a 1,500-byte MTU), packet `k` numbered
/// `first_sequence + k` (wrapping), with offsets, the last-segment flag and modulus-256 checksums.
/// An empty payload gives one empty, last packet.
pub fn encode_packets(
    encoding: Encoding,
    first_sequence: u16,
    payload: &[u8],
    max_segment: usize,
) -> Vec<Vec<u8>> {
    let max_segment = max_segment.clamp(1, MAX_SEGMENT);
    let mut out = Vec::new();
    let mut offset = 0usize;
    let mut sequence = first_sequence;
    loop {
        let end = (offset + max_segment).min(payload.len());
        let seg = &payload[offset..end];
        let last = end == payload.len();
        let mut p = Vec::with_capacity(HEADER_LEN + seg.len());
        p.extend_from_slice(IDENTIFIER);
        p.push(0);
        p.push(encoding.byte());
        p.extend_from_slice(&sequence.to_be_bytes());
        p.extend_from_slice(&(offset as u32).to_be_bytes());
        let flag_len = (seg.len() as u16) | if last { 0x8000 } else { 0 };
        p.extend_from_slice(&flag_len.to_be_bytes());
        let c = fletcher16(&[&p[..14], seg]);
        p.extend_from_slice(&c.to_be_bytes());
        p.extend_from_slice(seg);
        out.push(p);
        if last {
            return out;
        }
        offset = end;
        sequence = sequence.wrapping_add(1);
    }
}

/// A reassembled message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Sequence number of its first packet (offset 0): orders messages of one sender.
    pub sequence: u16,
    /// Payload encoding.
    pub encoding: Encoding,
    /// The whole payload.
    pub payload: Vec<u8>,
}

/// Signed distance `a - b` between two 16-bit sequence numbers (wrapping).
pub fn sequence_diff(a: u16, b: u16) -> i32 {
    a.wrapping_sub(b) as i16 as i32
}

/// Reassembles the messages of one sender (see the module documentation for the numbering), and
/// refuses packets seen before.
///
/// Pieces may arrive in any order: a piece whose first packet has not arrived waits (up to 64
/// pieces); up to 8 unfinished messages are kept, and one whose first sequence number falls 256 or
/// more behind the newest first packet is abandoned (counted in `abandoned`).
#[derive(Debug, Default)]
pub struct Reassembler {
    partials: VecDeque<Partial>,
    orphans: VecDeque<Piece>,
    recent: VecDeque<(u16, u32, u16)>,
    newest_head: Option<u16>,
    /// Messages abandoned so far: unfinished ones (a piece lost), and stray last pieces of
    /// messages whose first packet was lost. A lost message is counted once when its pieces are of
    /// equal size, as the reference sender cuts them.
    pub abandoned: u64,
}

#[derive(Debug)]
struct Partial {
    head: u16,
    encoding: Encoding,
    buf: Vec<u8>,
    pieces: u16,
}

#[derive(Debug)]
struct Piece {
    sequence: u16,
    offset: u32,
    last: bool,
    encoding: Encoding,
    data: Vec<u8>,
}

impl Reassembler {
    /// Adds a verified packet; returns the message when this packet completes one.
    ///
    /// Errors: [`OtioError::Duplicate`] for a packet seen before (same sequence number, offset and
    /// checksum); [`OtioError::Segment`] for a piece that cannot belong to a payload (too large).
    pub fn push(&mut self, header: &Header, segment: &[u8]) -> Result<Option<Message>, OtioError> {
        let key = (header.sequence, header.segment_offset, header.checksum);
        if self.recent.contains(&key) {
            return Err(OtioError::Duplicate);
        }
        if (header.segment_offset as usize)
            .checked_add(segment.len())
            .is_none_or(|e| e > MAX_PAYLOAD)
        {
            return Err(OtioError::Segment("payload too large"));
        }
        if self.recent.len() >= RECENT {
            self.recent.pop_front();
        }
        self.recent.push_back(key);
        let piece = Piece {
            sequence: header.sequence,
            offset: header.segment_offset,
            last: header.last_segment,
            encoding: header.encoding,
            data: segment.to_vec(),
        };
        if piece.offset == 0 {
            if piece.last {
                // The common case: a whole message in one packet.
                self.note_head(piece.sequence);
                return Ok(Some(Message {
                    sequence: piece.sequence,
                    encoding: piece.encoding,
                    payload: piece.data,
                }));
            }
            self.note_head(piece.sequence);
            if self.partials.len() >= MAX_PARTIALS
                && let Some(old) = self.partials.pop_front()
            {
                self.abandon(&old);
            }
            self.partials.push_back(Partial {
                head: piece.sequence,
                encoding: piece.encoding,
                buf: piece.data,
                pieces: 1,
            });
            let i = self.partials.len() - 1;
            return Ok(self.grow(i));
        }
        // A later piece: attach to its message, or wait for the message's first packet.
        let fits = |p: &Partial| {
            p.encoding == piece.encoding
                && p.head.wrapping_add(p.pieces) == piece.sequence
                && p.buf.len() == piece.offset as usize
        };
        if let Some(i) = self.partials.iter().position(fits) {
            self.orphans.push_front(piece);
            return Ok(self.grow(i));
        }
        if self.orphans.len() >= MAX_ORPHANS
            && let Some(old) = self.orphans.pop_front()
            && old.last
        {
            self.abandoned += 1;
        }
        self.orphans.push_back(piece);
        Ok(None)
    }

    /// Moves waiting pieces into partial `i` while they continue it; returns the message when its
    /// last piece is in.
    fn grow(&mut self, i: usize) -> Option<Message> {
        loop {
            let p = &self.partials[i];
            let next_seq = p.head.wrapping_add(p.pieces);
            let next_off = p.buf.len();
            let j = self.orphans.iter().position(|o| {
                o.sequence == next_seq && o.offset as usize == next_off && o.encoding == p.encoding
            })?;
            let piece = self.orphans.remove(j)?;
            let p = &mut self.partials[i];
            p.buf.extend_from_slice(&piece.data);
            p.pieces = p.pieces.wrapping_add(1);
            if piece.last {
                let p = self.partials.remove(i)?;
                return Some(Message {
                    sequence: p.head,
                    encoding: p.encoding,
                    payload: p.buf,
                });
            }
        }
    }

    /// Counts an unfinished message once, and drops the pieces of it that arrived after the gap
    /// (equal-sized pieces: piece `k` sits at `k` times the piece size), so that they are not
    /// counted again as strays.
    fn abandon(&mut self, p: &Partial) {
        self.abandoned += 1;
        let (len, n) = (p.buf.len() as u64, p.pieces as u64);
        self.orphans.retain(|o| {
            let k = o.sequence.wrapping_sub(p.head) as u64;
            !(o.encoding == p.encoding && k >= n && o.offset as u64 * n == len * k)
        });
    }

    /// Records a first packet and abandons messages left far behind it.
    fn note_head(&mut self, sequence: u16) {
        let newest = match self.newest_head {
            Some(n) if sequence_diff(sequence, n) <= 0 => n,
            _ => sequence,
        };
        self.newest_head = Some(newest);
        while let Some(i) = self
            .partials
            .iter()
            .position(|p| sequence_diff(newest, p.head) >= STALE_WINDOW)
        {
            if let Some(p) = self.partials.remove(i) {
                self.abandon(&p);
            }
        }
        let mut dropped = 0;
        self.orphans.retain(|o| {
            let keep = sequence_diff(newest, o.sequence) < STALE_WINDOW;
            if !keep && o.last {
                dropped += 1;
            }
            keep
        });
        self.abandoned += dropped;
    }
}

/// Keeps the newest message of each source (sender and `sourceNumber`), so that one instance of a
/// message is processed and a late message never replaces a newer one.
#[derive(Debug, Default)]
pub struct MessageOrder {
    newest: std::collections::HashMap<u64, u16>,
}

impl MessageOrder {
    /// Checks a decoded message of `source` whose first packet had sequence number `sequence`.
    ///
    /// Errors: [`OtioError::Duplicate`] for the same sequence number as the newest;
    /// [`OtioError::Late`] for an older one (up to 1,024 behind; further back is taken as a
    /// restarted sender and accepted).
    pub fn check(&mut self, source: u64, sequence: u16) -> Result<(), OtioError> {
        if let Some(&n) = self.newest.get(&source) {
            let d = sequence_diff(sequence, n);
            if d == 0 {
                return Err(OtioError::Duplicate);
            }
            if d < 0 && d > -LATE_WINDOW {
                return Err(OtioError::Late);
            }
        }
        if self.newest.len() >= 4096 {
            self.newest.clear();
        }
        self.newest.insert(source, sequence);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fletcher16_mod256_by_hand() {
        // "abcde" = 97 98 99 100 101: sum1 = 97, 195, 294->38, 138, 239;
        // sum2 = 97, 292->36, 74, 212, 451->195. 0xC3EF.
        assert_eq!(fletcher16(&[b"abcde"]), 0xC3EF);
        // Wrap of sum1: 0xFF, 0x01 -> sum1 255, 0; sum2 255, 255 -> 0xFF00.
        assert_eq!(fletcher16(&[&[0xFF, 0x01]]), 0xFF00);
        assert_eq!(fletcher16(&[]), 0);
        // Parts concatenate.
        assert_eq!(fletcher16(&[b"ab", b"cde"]), fletcher16(&[b"abcde"]));
    }

    #[test]
    fn fletcher16_mod255_classic_vectors() {
        assert_eq!(fletcher16_mod255(&[b"abcde"]), 0xC8F0);
        assert_eq!(fletcher16_mod255(&[b"abcdef"]), 0x2057);
        assert_eq!(fletcher16_mod255(&[b"abcd", b"efgh"]), 0x0627);
    }

    #[test]
    fn sequence_diff_wraps() {
        assert_eq!(sequence_diff(1, 65535), 2);
        assert_eq!(sequence_diff(65535, 1), -2);
        assert_eq!(sequence_diff(7, 7), 0);
    }
}
