//! A stream's log as osiris 1.3 keeps it on one node: messages numbered from offset 0, written in
//! chunks into segment files; a segment is closed once it holds `x-stream-max-segment-size-bytes`
//! (checked before each write, so the chunk that crosses the size still goes in), and retention is
//! evaluated when a new segment is opened (`osiris_log:write_chunk` → `trigger_retention_eval`):
//! whole segments are deleted, oldest first, never the one being written.
//!
//! Simplified: one chunk per publish (osiris batches what its writer finds waiting; the
//! differential scripts publish one at a time, which makes one chunk each), and a segment's size is
//! the sum of its messages' body sizes (a real segment also holds chunk and record headers and
//! the message's properties).

use super::args::{OffsetSpec, StreamArgs};
use crate::rabbit::msg::Message;
use crate::time::Time;
use crate::NodeId;
use std::collections::VecDeque;

/// osiris's other segment limit (`?DEFAULT_MAX_SEGMENT_SIZE_C`): chunks per segment.
const MAX_SEGMENT_CHUNKS: u32 = 256_000;

/// One message in the log (one chunk).
#[derive(Clone, Debug)]
pub struct Record {
    pub offset: u64,
    /// The chunk's timestamp: when it was written.
    pub at: Time,
    pub msg: Message,
}

/// A segment file: its first offset, size, chunk count and last chunk's timestamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub first: u64,
    pub bytes: u64,
    pub chunks: u32,
    pub last_at: Time,
}

/// A consumer reading the stream: the next offset it reads, and the lowest it is sent
/// (`rabbit_stream_queue`'s `start_offset` filter: an offset past the end attaches at the end but
/// skips everything below the offset asked for).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reader {
    pub node: NodeId,
    pub tag: u16,
    pub next: u64,
    pub min: u64,
}

/// What retention removed when a segment was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Truncated {
    pub segments: u32,
    pub messages: u64,
    /// The log's first offset now.
    pub first: u64,
}

#[derive(Clone, Debug)]
pub struct StreamLog {
    pub args: StreamArgs,
    records: VecDeque<Record>,
    segments: VecDeque<Segment>,
    next: u64,
    pub readers: Vec<Reader>,
}

impl StreamLog {
    pub fn new(args: StreamArgs) -> StreamLog {
        StreamLog { args, records: VecDeque::new(), segments: VecDeque::new(), next: 0, readers: Vec::new() }
    }

    /// The first offset still held (= `next_offset` when the log is empty).
    pub fn first_offset(&self) -> u64 {
        self.records.front().map_or(self.next, |r| r.offset)
    }

    /// The offset the next message will get.
    pub fn next_offset(&self) -> u64 {
        self.next
    }

    /// The last offset written, if any is held.
    pub fn last_offset(&self) -> Option<u64> {
        self.records.back().map(|r| r.offset)
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn segments(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter()
    }

    pub fn records(&self) -> impl Iterator<Item = &Record> {
        self.records.iter()
    }

    /// The record at `offset`, if the log still holds it.
    pub fn get(&self, offset: u64) -> Option<&Record> {
        let first = self.records.front()?.offset;
        self.records.get(offset.checked_sub(first)? as usize)
    }

    /// Writes one message as a chunk; its offset, and what retention removed if the write opened
    /// a new segment.
    pub fn append(&mut self, msg: Message, now: Time) -> (u64, Option<Truncated>) {
        let full = self
            .segments
            .back()
            .is_none_or(|s| s.bytes >= self.args.segment_bytes.max(1) || s.chunks >= MAX_SEGMENT_CHUNKS);
        let opened = !self.segments.is_empty() && full;
        if full {
            self.segments.push_back(Segment { first: self.next, bytes: 0, chunks: 0, last_at: now });
        }
        let offset = self.next;
        self.next += 1;
        let seg = self.segments.back_mut().expect("a segment is open");
        (seg.bytes, seg.chunks, seg.last_at) = (seg.bytes + msg.props.size as u64, seg.chunks + 1, now);
        self.records.push_back(Record { offset, at: now, msg });
        (offset, opened.then(|| self.retention(now)).flatten())
    }

    /// `osiris_log:evaluate_retention`: by size (`eval_max_bytes`: the newest segment always stays,
    /// then older ones while they fit, the rest go), then by age (`eval_age`: the oldest go while
    /// their last chunk is older than the age and another segment remains).
    fn retention(&mut self, now: Time) -> Option<Truncated> {
        let before = (self.segments.len(), self.records.len());
        if let Some(max) = self.args.max_bytes {
            let mut left = max.saturating_sub(self.segments.back().map_or(0, |s| s.bytes)) as i128;
            let mut keep = 1;
            for s in self.segments.iter().rev().skip(1) {
                if (s.bytes as i128) > left {
                    break;
                }
                left -= s.bytes as i128;
                keep += 1;
            }
            while self.segments.len() > keep {
                self.segments.pop_front();
            }
        }
        if let Some(age) = self.args.max_age {
            while self.segments.len() > 1 && self.segments.front().is_some_and(|s| s.last_at + age < now) {
                self.segments.pop_front();
            }
        }
        let first = self.segments.front().map_or(self.next, |s| s.first);
        while self.records.front().is_some_and(|r| r.offset < first) {
            self.records.pop_front();
        }
        let segments = (before.0 - self.segments.len()) as u32;
        (segments > 0).then(|| Truncated { segments, messages: (before.1 - self.records.len()) as u64, first })
    }

    /// Where a consumer starting now with `spec` reads from: `(next, min)` (osiris's
    /// `init_offset_reader` and `rabbit_stream_queue:begin_stream`).
    pub fn attach(&self, spec: OffsetSpec, now: Time) -> (u64, u64) {
        let (first, next) = (self.first_offset(), self.next);
        match spec {
            OffsetSpec::First => (first, 0),
            OffsetSpec::Next => (next, 0),
            OffsetSpec::Last => (self.last_offset().unwrap_or(next), 0),
            // Clamped: an empty log attaches at 0, past the end at the end, before the start at
            // the start; the offset asked for stays the lowest one sent.
            OffsetSpec::At(n) if self.is_empty() => (next, n),
            OffsetSpec::At(n) => (n.clamp(first, next), n),
            // The first chunk written at or after the instant; none: next.
            OffsetSpec::Ago(age) => {
                let ts = now.saturating_sub(age);
                (self.records.iter().find(|r| r.at >= ts).map_or(next, |r| r.offset), 0)
            }
        }
    }

    pub fn reader(&mut self, node: NodeId, tag: u16) -> Option<&mut Reader> {
        self.readers.iter_mut().find(|r| r.node == node && r.tag == tag)
    }

    pub fn remove_reader(&mut self, node: NodeId, tag: u16) {
        self.readers.retain(|r| !(r.node == node && r.tag == tag));
    }

    /// The next record `reader` is to be sent, moving it past it (and past what it skips: offsets
    /// below its `min`, or removed by retention). None: it has read everything.
    pub fn read(&mut self, node: NodeId, tag: u16) -> Option<Record> {
        let first = self.first_offset();
        let next = self.next;
        let r = self.readers.iter_mut().find(|r| r.node == node && r.tag == tag)?;
        r.next = r.next.max(first).max(r.min.min(next));
        if r.next >= next {
            return None;
        }
        r.next += 1;
        let at = r.next - 1;
        self.get(at).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: u64, size: u32) -> Message {
        Message::sample(id, size)
    }

    fn log_of(n: u64, args: StreamArgs) -> StreamLog {
        let mut log = StreamLog::new(args);
        for i in 0..n {
            log.append(msg(i, 100), Time::ms(i * 10));
        }
        log
    }

    #[test]
    fn offsets_count_from_zero_and_readers_attach_as_osiris_does() {
        let log = log_of(5, StreamArgs::default());
        assert_eq!((log.first_offset(), log.last_offset(), log.next_offset()), (0, Some(4), 5));
        let now = Time::ms(45);
        assert_eq!(log.attach(OffsetSpec::First, now), (0, 0));
        assert_eq!(log.attach(OffsetSpec::Last, now), (4, 0));
        assert_eq!(log.attach(OffsetSpec::Next, now), (5, 0));
        assert_eq!(log.attach(OffsetSpec::At(2), now), (2, 2));
        assert_eq!(log.attach(OffsetSpec::At(9), now), (5, 9), "past the end: at the end, skipping below 9");
        assert_eq!(log.attach(OffsetSpec::Ago(Time::ms(20)), now), (3, 0), "written at 30 ms or later");
        assert_eq!(log.attach(OffsetSpec::Ago(Time::ms(1)), now), (5, 0), "nothing that recent: next");
        let empty = StreamLog::new(StreamArgs::default());
        assert_eq!(empty.attach(OffsetSpec::Last, now), (0, 0));
        assert_eq!(empty.attach(OffsetSpec::At(3), now), (0, 3));
    }

    #[test]
    fn a_reader_skips_offsets_below_the_one_it_asked_for() {
        let mut log = log_of(2, StreamArgs::default());
        let (next, min) = log.attach(OffsetSpec::At(4), Time::ZERO);
        log.readers.push(Reader { node: NodeId(1), tag: 0, next, min });
        assert!(log.read(NodeId(1), 0).is_none());
        for i in 2..6 {
            log.append(msg(i, 100), Time::ZERO);
        }
        let got: Vec<u64> = std::iter::from_fn(|| log.read(NodeId(1), 0)).map(|r| r.offset).collect();
        assert_eq!(got, [4, 5], "2 and 3 are below the offset asked for");
    }

    #[test]
    fn retention_by_size_deletes_whole_old_segments_when_a_segment_is_opened() {
        // 250-byte segments of 100-byte messages: a segment closes after its third message.
        let args = StreamArgs { max_bytes: Some(500), segment_bytes: 250, ..StreamArgs::default() };
        let mut log = log_of(6, args);
        assert_eq!(log.segments().map(|s| s.first).collect::<Vec<_>>(), [0, 3]);
        assert_eq!(log.first_offset(), 0, "600 bytes over a 500-byte limit, but no segment was opened since");
        let (_, t) = log.append(msg(6, 100), Time::ms(60));
        assert_eq!(t, Some(Truncated { segments: 1, messages: 3, first: 3 }), "the new segment and 3-5 fit 500");
        assert_eq!(log.segments().map(|s| s.first).collect::<Vec<_>>(), [3, 6]);
        assert_eq!(log.len(), 4);
    }

    #[test]
    fn retention_by_age_keeps_the_segment_being_written() {
        let args = StreamArgs { max_age: Some(Time::ms(25)), segment_bytes: 200, ..StreamArgs::default() };
        let mut log = log_of(4, args); // segments 0-1 (last at 10 ms), 2-3 (last at 30 ms)
        let (_, t) = log.append(msg(4, 100), Time::ms(40));
        assert_eq!(t.map(|t| t.first), Some(2), "0-1 ended 30 ms before: older than 25 ms");
        let mut quiet = log_of(1, args);
        assert_eq!(quiet.append(msg(1, 100), Time::ms(1000)).1, None, "one segment stays, however old");
    }

    #[test]
    fn a_reader_behind_retention_continues_from_the_first_offset_held() {
        let args = StreamArgs { max_bytes: Some(100), segment_bytes: 100, ..StreamArgs::default() };
        let mut log = log_of(1, args);
        log.readers.push(Reader { node: NodeId(1), tag: 0, next: 0, min: 0 });
        for i in 1..4 {
            log.append(msg(i, 100), Time::ZERO);
        }
        assert_eq!(log.first_offset(), 3);
        assert_eq!(log.read(NodeId(1), 0).map(|r| r.offset), Some(3));
    }
}
