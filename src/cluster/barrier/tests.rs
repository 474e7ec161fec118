//! The barrier's bookkeeping, frame by frame on a made-up clock.

use super::*;
use crate::cluster::revision::Revision;

fn ready(node: &str, frame: u64) -> Ready {
    Ready {
        node: node.into(),
        frame,
        revision: Revision::default(),
        refused: None,
        held: None,
        primary: 0,
    }
}

const T: Duration = Duration::from_millis(100);

#[test]
fn a_frame_is_released_when_every_known_node_is_ready() {
    let t0 = Instant::now();
    let mut b = Barrier::new(T);
    b.join("b");
    b.join("c");
    assert!(b.open(0, t0).is_none());
    b.ready(&ready("b", 0), t0);
    assert_eq!(b.poll(t0), None, "c is not ready yet");
    b.ready(&ready("b", 0), t0); // twice counts once
    b.ready(&ready("c", 0), t0);
    assert_eq!(
        b.poll(t0 + Duration::from_millis(1)),
        Some(Release {
            frame: 0,
            late: vec![],
            primary: 0,
        })
    );
    assert_eq!(b.poll(t0), None, "nothing open");
    assert_eq!(b.figures()["b"].ready, 1);
    assert_eq!(b.figures()["c"].ready, 1);
}

#[test]
fn the_timeout_releases_and_counts_the_late_node() {
    let t0 = Instant::now();
    let mut b = Barrier::new(T);
    b.join("b");
    b.join("c");
    b.take_events();
    b.open(5, t0);
    b.ready(&ready("b", 5), t0);
    assert_eq!(b.poll(t0 + Duration::from_millis(99)), None);
    assert_eq!(b.deadline(), Some(t0 + T));
    let r = b.poll(t0 + T).unwrap();
    assert_eq!(r.late, vec!["c".to_string()]);
    assert_eq!(
        b.take_events(),
        vec![Event::Late {
            node: "c".into(),
            frame: 5
        }]
    );
    // c's answer for frame 5 arrives after the release: ignored, still late once.
    b.open(6, t0 + T);
    b.ready(&ready("c", 5), t0);
    assert_eq!(b.figures()["c"].late, 1);
    assert_eq!(b.figures()["c"].ready, 0);
}

#[test]
fn the_timeout_runs_from_the_primarys_own_ready_and_all_ready_is_the_last_answer() {
    let t0 = Instant::now();
    let ms = Duration::from_millis;
    let mut b = Barrier::new(T);
    b.join("b");
    b.join("c");
    b.open(0, t0);
    b.ready(&ready("b", 0), t0 + ms(30));
    // The primary's own render took 150 ms: the nodes get 100 ms beyond that.
    b.wait_from(t0 + ms(150));
    assert_eq!(b.poll(t0 + ms(200)), None);
    b.ready(&ready("c", 0), t0 + ms(220));
    assert_eq!(b.poll(t0 + ms(221)).map(|r| r.late), Some(vec![]));
    assert_eq!(b.all_ready(), Some(ms(220)));
    b.open(1, t0 + ms(300));
    b.ready(&ready("c", 1), t0 + ms(310));
    assert!(b.poll(t0 + ms(400)).is_some());
    assert_eq!(b.all_ready(), None, "b was late");
}

#[test]
fn without_nodes_there_is_no_tick_to_all_ready() {
    let t0 = Instant::now();
    let mut b = Barrier::new(T);
    b.open(0, t0);
    assert_eq!(b.poll(t0).map(|r| r.late), Some(vec![]), "released at once");
    assert_eq!(b.all_ready(), None, "not a latency of zero");
}

#[test]
fn a_node_that_drops_out_is_not_waited_for_and_can_rejoin() {
    let t0 = Instant::now();
    let mut b = Barrier::new(T);
    b.join("b");
    b.join("c");
    b.open(0, t0);
    b.ready(&ready("c", 0), t0);
    b.drop_out("b");
    assert_eq!(b.poll(t0).map(|r| r.late), Some(vec![]));
    b.open(1, t0);
    b.ready(&ready("c", 1), t0);
    assert!(b.poll(t0).is_some(), "released without b");
    // b comes back between frames 1 and 2: waited for from frame 2.
    assert!(b.join("b"));
    assert!(!b.join("b"));
    b.open(2, t0);
    b.ready(&ready("c", 2), t0);
    assert_eq!(b.poll(t0), None);
    b.ready(&ready("b", 2), t0);
    assert!(b.poll(t0).is_some());
    let events: Vec<String> = b.take_events().iter().map(|e| e.to_string()).collect();
    assert_eq!(
        events,
        [
            "node 'b' joined at frame 0",
            "node 'c' joined at frame 0",
            "node 'b' dropped out at frame 0; the others go on",
            "node 'b' joined at frame 2",
        ]
    );
    assert_eq!(b.figures()["b"].joined, vec![0, 2]);
    assert_eq!(b.figures()["b"].dropped, vec![0]);
}

#[test]
fn an_unknown_node_is_ignored_and_a_refusal_counts_as_an_answer() {
    let t0 = Instant::now();
    let mut b = Barrier::new(T);
    b.join("c");
    b.drop_out("c");
    b.open(0, t0);
    b.ready(&ready("c", 0), t0);
    assert!(!b.known().any(|n| n == "c"), "a stale answer brings c back");
    b.join("d");
    let mut r = ready("d", 0);
    r.refused = Some("stage revision differs".into());
    b.ready(&r, t0);
    assert_eq!(b.poll(t0).map(|r| r.late), Some(vec![]));
    assert_eq!(b.figures()["d"].refused, 1);
    assert!(b.take_events().iter().any(
        |e| matches!(e, Event::Refused { node, why, .. } if node == "d" && why.contains("differs"))
    ));
    // Opening a frame while one is open releases the first.
    b.open(1, t0);
    let r = b.open(2, t0).unwrap();
    assert_eq!((r.frame, r.late), (1, vec!["d".to_string()]));
}

#[test]
fn a_node_late_frames_in_a_row_is_stalled_not_waited_for_until_it_keeps_up() {
    let t0 = Instant::now();
    let ms = |n| t0 + Duration::from_millis(n);
    let mut b = Barrier::new(T);
    b.join("b");
    b.join("c");
    b.take_events();
    // c freezes: the first STALL_AFTER frames each wait the timeout.
    for f in 0..STALL_AFTER {
        b.open(f, ms(f * 200));
        b.ready(&ready("b", f), ms(f * 200));
        assert_eq!(b.poll(ms(f * 200 + 99)), None, "frame {f} waits for c");
        assert_eq!(
            b.poll(ms(f * 200 + 100)).unwrap().late,
            vec!["c".to_string()]
        );
    }
    let events: Vec<String> = b.take_events().iter().map(|e| e.to_string()).collect();
    assert_eq!(
        events,
        [
            "node 'c' late for frame 0 (released without it)",
            "node 'c' late for frame 1 (released without it)",
            "node 'c' late for 3 frames in a row (to frame 2): no longer waited for, the others go on at full rate; waited for again when it keeps up",
        ]
    );
    // Stalled: frames are released as soon as b is ready, and c still counts late, quietly.
    for f in 3..10 {
        b.open(f, ms(1000 + f));
        b.ready(&ready("b", f), ms(1000 + f));
        assert_eq!(b.poll(ms(1000 + f)).unwrap().late, vec!["c".to_string()]);
    }
    assert!(b.take_events().is_empty());
    // c thaws and answers an old frame: still stalled.
    b.open(10, ms(2000));
    b.ready(&ready("c", 4), ms(2000));
    b.ready(&ready("b", 10), ms(2000));
    assert!(b.poll(ms(2000)).is_some(), "released without c");
    assert!(b.take_events().is_empty());
    // c answers the frame just released: it keeps up, waited for from frame 11.
    b.ready(&ready("c", 10), ms(2001));
    assert_eq!(
        b.take_events(),
        vec![Event::Resumed {
            node: "c".into(),
            frame: 10,
            missed: 11
        }]
    );
    b.open(11, ms(2010));
    b.ready(&ready("b", 11), ms(2010));
    assert_eq!(b.poll(ms(2011)), None, "c is waited for again");
    b.ready(&ready("c", 11), ms(2012));
    assert_eq!(b.poll(ms(2012)).unwrap().late, Vec::<String>::new());
    let c = &b.figures()["c"];
    assert_eq!((c.ready, c.late, c.stalled.clone()), (1, 11, vec![2]));
    // A late run shorter than STALL_AFTER ends without a stall, and starts again from 0.
    for f in 12..14 {
        b.open(f, ms(3000));
        b.ready(&ready("b", f), ms(3000));
        assert!(b.poll(ms(3100)).is_some());
    }
    b.open(14, ms(3200));
    b.ready(&ready("b", 14), ms(3200));
    b.ready(&ready("c", 14), ms(3200));
    assert!(b.poll(ms(3200)).is_some());
    b.open(15, ms(3300));
    b.ready(&ready("b", 15), ms(3300));
    assert!(b.poll(ms(3400)).is_some());
    assert!(
        !b.take_events()
            .iter()
            .any(|e| matches!(e, Event::Stalled { .. })),
        "two late, one in time, one late: not stalled"
    );
}

#[test]
fn a_held_frame_is_counted_apart_and_the_recovery_is_said() {
    let t0 = Instant::now();
    let mut b = Barrier::new(T);
    b.join("b");
    b.take_events();
    let held = |f| Ready {
        held: Some("the GPU device was lost".into()),
        ..ready("b", f)
    };
    for f in 0..3 {
        b.open(f, t0);
        b.ready(&held(f), t0);
        assert_eq!(b.poll(t0).unwrap().late, Vec::<String>::new(), "answered");
    }
    b.open(3, t0);
    b.ready(&ready("b", 3), t0);
    assert!(b.poll(t0).is_some());
    let events: Vec<String> = b.take_events().iter().map(|e| e.to_string()).collect();
    assert_eq!(
        events,
        [
            "node 'b' could not render frame 0 and holds its last good frame: the GPU device was lost",
            "node 'b' renders fresh frames again at frame 3 (after 3 held)",
        ]
    );
    let f = &b.figures()["b"];
    assert_eq!((f.ready, f.held, f.late), (1, 3, 0));
}
