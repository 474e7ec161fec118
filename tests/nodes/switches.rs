//! Switches and set-ups that cannot work, said before or while running: a node without its
//! primary, cluster switches outside a cluster, a primary without outputs, a node name claimed
//! twice and two primaries.

use std::time::Duration;

use super::support::*;

/// A node started with no primary on its endpoint says, within a few seconds, that no tick came
/// and where the primary should be, and keeps waiting; once a primary starts there, it says the
/// ticks are back, renders them, and its summary counts the silence.
#[test]
fn a_node_without_a_primary_says_so_and_keeps_waiting() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let endpoint = "tcp/127.0.0.1:47315";
    let (da, db) = (d("a"), d("b"));
    let mut b = Proc::start(dir.path(), "b", &member("b", &db, endpoint, false));
    let err = wait_stderr(&b, "no tick from the primary for ");
    let line = err.lines().find(|l| l.contains("no tick")).unwrap();
    assert!(line.contains("(none yet); still waiting"), "{line}");
    assert!(line.contains("listens on tcp/127.0.0.1:47315"), "{line}");
    assert!(
        b.child.try_wait().unwrap().is_none(),
        "the node did not keep waiting:\n{err}"
    );
    let mut pa = member("a", &da, endpoint, true);
    pa.extend([
        "--take",
        TAKE,
        "--frames",
        "4",
        "--unpaced",
        "--barrier-timeout",
        "20000",
        // c never comes: the primary starts without it after this (b, retrying its
        // connection at most every second, is there by then).
        "--join-timeout",
        "4",
    ]);
    let a = Proc::start(dir.path(), "a", &pa);
    let limit = Duration::from_secs(60);
    a.finish(limit);
    let (b_out, b_err) = b.finish(limit);
    assert!(
        b_err.contains("node 'b': ticks from the primary again (frame 0) after "),
        "{b_err}"
    );
    assert!(
        b_out.contains("4 frames presented (0 of them its last good frame held), 0 refused"),
        "{b_out}"
    );
    assert!(
        b_out.contains("no tick from the primary for ") && b_out.contains("(1 time(s))"),
        "{b_out}"
    );
}

/// Cluster switches that cannot work are refused before anything starts, saying what to add.
#[test]
fn cluster_switches_that_cannot_work_are_refused() {
    let err = run_err(&["run", STAGE, "--connect", "tcp/127.0.0.1:47399"]);
    assert!(
        err.starts_with("error: --connect is for render nodes, but this process is neither --node NAME nor --primary"),
        "{err}"
    );
    assert!(err.contains("add --node NAME"), "{err}");
    let err = run_err(&["run", STAGE, "--listen", "tcp/0.0.0.0:0", "--no-scouting"]);
    assert!(
        err.contains("--listen, --no-scouting are for render nodes"),
        "{err}"
    );
    let err = run_err(&["run", STAGE, "--node", "b", "--no-scouting"]);
    assert!(
        err.starts_with("error: --no-scouting without --listen or --connect"),
        "{err}"
    );
    let err = run_err(&["run", STAGE, "--node", "b", "--connect", "nonsense"]);
    assert!(
        err.starts_with("error: --connect nonsense: not an endpoint"),
        "{err}"
    );
    assert!(!err.contains(".rs:"), "source locations: {err}");
    // A primary's --node no output names (its outputs would never be delivered): refused
    // before the cluster starts.
    let err = run_err(&[
        "run",
        STAGE,
        "--primary",
        "--node",
        "zz",
        "--no-scouting",
        "--listen",
        "tcp/127.0.0.1:47398",
    ]);
    assert!(
        err.contains("error: no output of the stage names node 'zz' (nodes named: a, b, c)"),
        "{err}"
    );
    assert!(!err.contains("cluster 'default'"), "{err}");
    // A node's --frames would end it before the primary.
    let err = run_err(&[
        "run",
        STAGE,
        "--node",
        "b",
        "--frames",
        "5",
        "--connect",
        "tcp/127.0.0.1:47397",
    ]);
    assert!(err.contains("error: --frames is the primary's"), "{err}");
    let err = run_err(&["run", STAGE, "--node", "b", "--barrier-timeout", "0"]);
    assert!(err.contains("at least 1 ms"), "{err}");
    // The barrier's switches outside a cluster would be ignored.
    let err = run_err(&[
        "run",
        STAGE,
        "--barrier-timeout",
        "50",
        "--reload-lead",
        "10",
    ]);
    assert!(
        err.contains("--barrier-timeout, --reload-lead are for render nodes"),
        "{err}"
    );
}

/// A stage file's `primary_node` that no output names is a located error.
#[test]
fn a_primary_node_no_output_names_is_refused_where_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let stage = stage_naming_primary(dir.path(), "z");
    let err = run_err(&["validate", &stage]);
    assert!(
        err.contains("stage.ron:") && err.contains(": stage: primary_node 'z' is not a node any output names (nodes named: a, b, c) (at primary_node)"),
        "{err}"
    );
}

/// A primary without --node on a stage whose every output names a node says at start that it
/// delivers nothing; with no node there, its summary says no node reported (not a latency of 0).
#[test]
fn a_primary_without_node_or_nodes_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let p = Proc::start(
        dir.path(),
        "a",
        &[
            "run",
            STAGE,
            "--no-watch",
            "--sink",
            "null",
            "--primary",
            "--no-scouting",
            "--listen",
            "tcp/127.0.0.1:47316",
            "--take",
            TAKE,
            "--frames",
            "3",
            "--unpaced",
            "--join-timeout",
            "0",
        ],
    );
    let (out, err) = p.finish(Duration::from_secs(60));
    assert!(
        err.contains("note: --primary without --node, and every output of the stage names a node (a, b, c): this process renders and delivers no output"),
        "{err}"
    );
    assert!(
        out.contains("cluster: 3 frames ticked; tick to all ready: no nodes reported;"),
        "{out}"
    );
}

/// Two processes started as node "b": the primary reports the name claimed twice, on stderr and
/// in its summary. Two primaries on one cluster (another one, on its own port) each report the
/// other.
#[test]
fn a_node_name_claimed_twice_and_two_primaries_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let endpoint = "tcp/127.0.0.1:47317";
    let (da, db, db2, dc) = (d("a"), d("b"), d("b2"), d("c"));
    let b = Proc::start(dir.path(), "b", &member("b", &db, endpoint, false));
    let b2 = Proc::start(dir.path(), "b2", &member("b", &db2, endpoint, false));
    let c = Proc::start(dir.path(), "c", &member("c", &dc, endpoint, false));
    // Two primaries of cluster "other", connected to each other, without nodes.
    let primary = |name: &str, switch: &str| {
        let args = [
            "run",
            STAGE,
            "--no-watch",
            "--sink",
            "null",
            "--primary",
            "--node",
            "a",
            "--cluster",
            "other",
            "--no-scouting",
            switch,
            "tcp/127.0.0.1:47318",
            "--take",
            TAKE,
            "--frames",
            "180",
            "--join-timeout",
            "0",
        ];
        Proc::start(dir.path(), name, &args)
    };
    let p1 = primary("p1", "--listen");
    let p2 = primary("p2", "--connect");
    for p in [&b, &b2, &c] {
        wait_stderr(p, "cluster 'default': node");
    }
    let mut pa = member("a", &da, endpoint, true);
    pa.extend([
        "--take",
        TAKE,
        "--frames",
        "20",
        "--barrier-timeout",
        "20000",
        "--join-timeout",
        "60",
    ]);
    let a = Proc::start(dir.path(), "a", &pa);
    let limit = Duration::from_secs(60);
    let (a_out, a_err) = a.finish(limit);
    for p in [b, b2, c] {
        p.finish(limit);
    }
    let line = a_err
        .lines()
        .find(|l| l.contains("is run by 2 processes"))
        .unwrap_or_else(|| panic!("the duplicate is not reported:\n{a_err}"));
    assert!(
        line.starts_with("cluster: WARNING: node 'b' is run by 2 processes at once"),
        "{line}"
    );
    assert!(
        line.contains("stop one, or start it with its own --node"),
        "{line}"
    );
    assert!(
        a_out.contains("cluster: WARNING: node 'b' is run by 2 processes at once"),
        "{a_out}"
    );
    assert!(!a_err.contains("another primary"), "{a_err}");
    for p in [p1, p2] {
        let name = p.name.clone();
        let (out, err) = p.finish(limit);
        assert!(
            err.contains("cluster: WARNING: another primary (instance "),
            "{name}: {err}"
        );
        assert!(
            out.contains("cluster: WARNING: another primary (instance "),
            "{name}: {out}"
        );
        // Both were started with --node a: each sees the other claim its node.
        assert!(
            err.contains("runs as node 'a', the primary's own --node"),
            "{name}: {err}"
        );
    }
}

/// A node on a misspelt cluster name (`--cluster other`), connected to a primary on `default`,
/// says where the primary is instead of "check that the primary runs"; started as the stage's
/// `primary_node` with `--no-primary`, it is a plain node and says so.
#[test]
fn a_node_on_another_cluster_name_is_told_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).to_string_lossy().into_owned();
    let endpoint = "tcp/127.0.0.1:47319";
    let stage = stage_naming_primary(dir.path(), "a");
    let (da, db) = (d("a"), d("b"));
    let mut pb = member("b", &db, endpoint, true);
    // The primary waits (for nodes a and c) long enough for the node to give up on ticks.
    pb.extend([
        "--take",
        TAKE,
        "--frames",
        "3",
        "--unpaced",
        "--join-timeout",
        "8",
    ]);
    let b = Proc::start(dir.path(), "b", &pb);
    wait_stderr(&b, "cluster 'default': primary");
    let mut pa = member_on(&stage, "a", &da, endpoint, false);
    pa.extend([
        "--no-primary",
        "--cluster",
        "other",
        "--unpaced",
        "--camera",
        "A",
    ]);
    let mut a = Proc::start(dir.path(), "a", &pa);
    let err = wait_stderr(&a, "no tick from the primary for ");
    a.kill();
    assert!(
        err.contains("note: the stage names node 'a' its primary (primary_node), but --no-primary: this process is a plain node"),
        "{err}"
    );
    assert!(
        err.contains(
            "note: --camera, --unpaced are the primary's: this node renders the primary's frames"
        ),
        "{err}"
    );
    let line = err.lines().find(|l| l.contains("no tick")).unwrap();
    assert!(
        line.contains("a primary runs on cluster 'default', and this node is on cluster 'other': give every process of the wall the same --cluster NAME"),
        "{line}"
    );
    b.finish(Duration::from_secs(60));
}
