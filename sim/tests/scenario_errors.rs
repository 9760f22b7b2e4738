//! Every error of the scenario language, with its exact
//! `file:line:col: message`.

use synack_sim::scenario::parse;

#[track_caller]
fn err(text: &str) -> String {
    match parse("t.tcp", text) {
        Ok(s) => panic!("expected an error, parsed {s:?}"),
        Err(e) => e.to_string(),
    }
}

const STATEMENTS: &str =
    "profile, rtt, mss, seed, isn, port, drop, duplicate, delay, loss, transport, client, server, wait, expect, inject";

#[test]
fn error_unknown_statement_lists_and_suggests() {
    assert_eq!(
        err("server listen 7\n  clinet connect\n"),
        format!("t.tcp:2:3: unknown statement \"clinet\"; expected one of: {STATEMENTS}; did you mean \"client\"?")
    );
    assert_eq!(
        err("conect"),
        format!("t.tcp:1:1: unknown statement \"conect\"; expected one of: {STATEMENTS}; did you mean \"client connect\" or \"server connect\"?")
    );
    assert_eq!(
        err("frobnicate 3"),
        format!("t.tcp:1:1: unknown statement \"frobnicate\"; expected one of: {STATEMENTS}")
    );
    assert_eq!(
        err("  \"hello\""),
        "t.tcp:1:3: expected an action (one of: client, server, wait, expect, inject), found a quoted string"
    );
}

#[test]
fn error_call_without_side() {
    assert_eq!(
        err("connect 80"),
        "t.tcp:1:1: the call \"connect\" needs a side first, like \"client connect\" or \"server connect\""
    );
}

#[test]
fn error_unknown_or_missing_call() {
    let list = "listen, connect, accept, send, recv, shutdown, close, abort";
    assert_eq!(
        err("client conect"),
        format!("t.tcp:1:8: unknown call \"conect\" for the client; expected one of: {list}; did you mean \"connect\"?")
    );
    assert_eq!(
        err("server"),
        format!("t.tcp:1:7: expected a call after \"server\" (one of: {list}), found the end of the line")
    );
}

#[test]
fn error_bad_direction() {
    assert_eq!(
        err("  drop client-server data #1"),
        "t.tcp:1:8: expected a direction like client->server, found \"client-server\"; did you mean \"client->server\"?"
    );
    assert_eq!(
        err("loss up 1%"),
        "t.tcp:1:6: expected a direction like client->server, found \"up\""
    );
    assert_eq!(
        err("drop"),
        "t.tcp:1:5: expected a direction like client->server, found the end of the line"
    );
}

#[test]
fn error_bad_fault_kind_and_ordinals() {
    assert_eq!(
        err("drop client->server synack #1"),
        "t.tcp:1:21: expected a segment kind (syn, syn-ack, ack, data, fin, rst or any), found \"synack\"; did you mean \"syn-ack\"?"
    );
    assert_eq!(
        err("drop client->server data 1"),
        "t.tcp:1:26: expected a segment ordinal like #1, found \"1\""
    );
    assert_eq!(
        err("drop client->server data #0"),
        "t.tcp:1:26: segment ordinals count from #1, found \"#0\""
    );
    assert_eq!(
        err("drop client->server data #4294967296"),
        "t.tcp:1:26: a segment ordinal must be at most #4294967295, found \"#4294967296\""
    );
    assert_eq!(
        err("drop client->server data #1,"),
        "t.tcp:1:29: expected a segment ordinal like #1, found the end of the line"
    );
    assert_eq!(
        err("drop client->server data #1 #2"),
        "t.tcp:1:29: expected \",\" and another ordinal, or the end of the line, found \"#2\""
    );
    assert_eq!(
        err("drop client->server data"),
        "t.tcp:1:25: expected a segment ordinal like #1, found the end of the line"
    );
    assert_eq!(
        err("delay client->server data #1"),
        "t.tcp:1:29: expected a duration like 20ms, 1.5s or 300us (units: us, ms, s, min), found the end of the line"
    );
    assert_eq!(
        err("duplicate client->server fin #1 10ms"),
        "t.tcp:1:33: expected \",\" and another ordinal, or the end of the line, found \"10ms\""
    );
    // Outside fault rules `#1` starts a comment.
    assert_eq!(
        err("loss client->server #1"),
        "t.tcp:1:20: expected a percentage like 1% or 0.5%, found the end of the line"
    );
}

#[test]
fn error_bad_duration() {
    let like = "expected a duration like 20ms, 1.5s or 300us (units: us, ms, s, min)";
    assert_eq!(err("wait 5"), format!("t.tcp:1:6: {like}, found \"5\""));
    assert_eq!(err("rtt 20 ms"), format!("t.tcp:1:5: {like}, found \"20\""));
    assert_eq!(
        err("wait"),
        format!("t.tcp:1:5: {like}, found the end of the line")
    );
    assert_eq!(
        err("wait 0.1us"),
        "t.tcp:1:6: the duration \"0.1us\" is not a whole number of microseconds; the finest step is 1us"
    );
    assert_eq!(
        err("wait 307445734562min"),
        "t.tcp:1:6: the duration \"307445734562min\" is too long; the longest is 18446744073709551615us"
    );
}

#[test]
fn error_bad_wait_until() {
    assert_eq!(
        err("wait untl client CLOSED"),
        "t.tcp:1:6: expected a duration like 20ms or \"until client CLOSED\", found \"untl\"; did you mean \"until\"?"
    );
    assert_eq!(
        err("wait until"),
        "t.tcp:1:11: expected client or server, found the end of the line"
    );
    assert_eq!(
        err("wait until client"),
        "t.tcp:1:18: expected a TCP state like ESTABLISHED or TIME-WAIT, found the end of the line"
    );
    assert_eq!(
        err("wait until client CLOSD"),
        "t.tcp:1:19: expected a TCP state like ESTABLISHED or TIME-WAIT, found \"CLOSD\"; did you mean \"CLOSED\"?"
    );
    assert_eq!(
        err("wait until client CLOSED 5s"),
        "t.tcp:1:26: expected \"max\" and a duration (like max 2min), \"&\" or the end of the line, found \"5s\""
    );
    assert_eq!(
        err("wait until client CLOSED max"),
        "t.tcp:1:29: expected a duration like 20ms, 1.5s or 300us (units: us, ms, s, min), found the end of the line"
    );
}

#[test]
fn error_bad_percent() {
    assert_eq!(
        err("loss client->server 101%"),
        "t.tcp:1:21: a percentage must be between 0% and 100%, found \"101%\""
    );
    assert_eq!(
        err("loss client->server 1"),
        "t.tcp:1:21: expected a percentage like 1% or 0.5%, found \"1\""
    );
    assert_eq!(
        err("loss client->server 0.00001%"),
        "t.tcp:1:21: the percentage \"0.00001%\" is finer than the finest step of 0.0001%"
    );
}

#[test]
fn error_bad_numbers() {
    assert_eq!(
        err("server listen 0"),
        "t.tcp:1:15: a port number must be between 1 and 65535, found \"0\""
    );
    assert_eq!(
        err("server listen 65536"),
        "t.tcp:1:15: a port number must be between 1 and 65535, found \"65536\""
    );
    assert_eq!(
        err("server listen http"),
        "t.tcp:1:15: expected a port number (1..=65535), found \"http\""
    );
    assert_eq!(
        err("server listen"),
        "t.tcp:1:14: expected a port number (1..=65535), found the end of the line"
    );
    assert_eq!(
        err("client connect -1"),
        "t.tcp:1:16: expected a port number (1..=65535), found \"-1\""
    );
    assert_eq!(
        err("port client 99999999999999999999999"),
        "t.tcp:1:13: a port number must be between 1 and 65535, found \"99999999999999999999999\""
    );
    assert_eq!(
        err("seed -7"),
        "t.tcp:1:6: expected a seed (0..=18446744073709551615), found \"-7\""
    );
    assert_eq!(
        err("isn server 4294967296"),
        "t.tcp:1:12: an initial sequence number must be between 0 and 4294967295, found \"4294967296\""
    );
}

#[test]
fn error_bad_mss() {
    assert_eq!(
        err("mss 10"),
        "t.tcp:1:5: an mss of 10 bytes is too small; the smallest is 64"
    );
    assert_eq!(
        err("mss 0"),
        "t.tcp:1:5: an mss of 0 bytes is too small; the smallest is 64"
    );
    assert_eq!(
        err("mss 65536"),
        "t.tcp:1:5: an mss must be at most 65535 bytes, found \"65536\""
    );
    assert_eq!(
        err("mss big"),
        "t.tcp:1:5: expected a segment size like 1460, found \"big\""
    );
}

#[test]
fn error_bad_profile_and_side() {
    assert_eq!(
        err("profile lnux"),
        "t.tcp:1:9: expected a profile (rfc or linux), found \"lnux\"; did you mean \"linux\"?"
    );
    assert_eq!(
        err("isn host 5"),
        "t.tcp:1:5: expected client or server, found \"host\""
    );
    assert_eq!(
        err("expect sever LISTEN"),
        "t.tcp:1:8: expected client or server, found \"sever\"; did you mean \"server\"?"
    );
    assert_eq!(
        err("port server 80"),
        "t.tcp:1:6: only the client's port can be set; the server's port is the one it listens on"
    );
}

#[test]
fn error_bad_state() {
    assert_eq!(
        err("expect client TIMEWAIT"),
        "t.tcp:1:15: expected a TCP state like ESTABLISHED or TIME-WAIT, found \"TIMEWAIT\"; did you mean \"TIME-WAIT\"?"
    );
    assert_eq!(
        err("expect client"),
        "t.tcp:1:14: expected a TCP state like ESTABLISHED or TIME-WAIT, found the end of the line"
    );
}

#[test]
fn error_bad_send_and_recv() {
    let what = "a quoted string like \"hello\" or a byte count like 100 bytes";
    assert_eq!(
        err("client send hello"),
        format!("t.tcp:1:13: expected {what}, found \"hello\"")
    );
    assert_eq!(
        err("client send"),
        format!("t.tcp:1:12: expected {what}, found the end of the line")
    );
    assert_eq!(
        err("client send 20000"),
        "t.tcp:1:18: expected \"bytes\" after the count 20000, found the end of the line"
    );
    assert_eq!(
        err("client send 20000 kb"),
        "t.tcp:1:19: expected \"bytes\" after the count 20000, found \"kb\""
    );
    assert_eq!(
        err("client send \"\""),
        "t.tcp:1:13: send needs at least one byte, found an empty string"
    );
    assert_eq!(
        err("client send 0 bytes"),
        "t.tcp:1:13: send needs at least one byte, found \"0\""
    );
    assert_eq!(
        err("client send 1073741825 bytes"),
        "t.tcp:1:13: one send may send at most 1073741824 bytes (1 GiB), found \"1073741825\""
    );
    assert_eq!(
        err("server recv al"),
        "t.tcp:1:13: expected a byte count like 100, \"exactly 100\", \"all\", or nothing after recv, found \"al\"; did you mean \"all\"?"
    );
    assert_eq!(
        err("server recv 0"),
        "t.tcp:1:13: recv needs room for at least one byte, found \"0\""
    );
    assert_eq!(
        err("server recv 4294967296"),
        "t.tcp:1:13: recv may ask for at most 4294967295 bytes, found \"4294967296\""
    );
}

#[test]
fn error_string_literals() {
    assert_eq!(
        err("server listen 1\nclient send \"abc"),
        "t.tcp:2:13: unterminated string; expected a closing \" before the end of the line"
    );
    assert_eq!(
        err("client send \"abc\\"),
        "t.tcp:1:17: unterminated string; expected a closing \" before the end of the line"
    );
    assert_eq!(
        err("client send \"a\\qb\""),
        "t.tcp:1:15: unknown escape \"\\q\" in a string; expected one of \\n \\t \\r \\\\ \\\" \\0 \\xHH"
    );
    assert_eq!(
        err("client send \"\\xZZ\""),
        "t.tcp:1:14: expected two hex digits after \\x (like \\x7f), found \"\\xZZ\""
    );
}

#[test]
fn error_trailing_tokens() {
    assert_eq!(
        err("client close now"),
        "t.tcp:1:14: expected \"&\" or the end of the line, found \"now\""
    );
    assert_eq!(
        err("client close \"x\""),
        "t.tcp:1:14: expected \"&\" or the end of the line, found a quoted string"
    );
    assert_eq!(
        err("client close,"),
        "t.tcp:1:13: expected \"&\" or the end of the line, found \",\""
    );
    assert_eq!(
        err("mss 1460 1500"),
        "t.tcp:1:10: expected the end of the line after the setting, found \"1500\""
    );
}

#[test]
fn error_dangling_ampersand() {
    assert_eq!(
        err("client close &"),
        "t.tcp:1:15: expected an action (one of: client, server, wait, expect, inject), found the end of the line"
    );
    assert_eq!(
        err("client close && server close"),
        "t.tcp:1:15: expected an action (one of: client, server, wait, expect, inject), found \"&\""
    );
    assert_eq!(
        err("& client close"),
        "t.tcp:1:1: expected an action (one of: client, server, wait, expect, inject), found \"&\""
    );
}

#[test]
fn error_settings_joined_with_ampersand() {
    assert_eq!(
        err("mss 1460 & rtt 10ms"),
        "t.tcp:1:10: settings cannot be joined with \"&\"; put each setting on its own line"
    );
    assert_eq!(
        err("client close & mss 1460"),
        "t.tcp:1:16: settings cannot be joined with \"&\"; put \"mss\" on its own line before the first action"
    );
}

#[test]
fn error_setting_after_an_action_names_the_line() {
    assert_eq!(
        err("rtt 10ms\nserver listen 80\n# comment\n\n   mss 1000\n"),
        "t.tcp:5:4: the setting \"mss\" must come before the first action (line 2); move it up"
    );
    assert_eq!(
        err("wait 1s\ndrop client->server syn #1"),
        "t.tcp:2:1: the setting \"drop\" must come before the first action (line 1); move it up"
    );
}

#[test]
fn error_setting_twice() {
    assert_eq!(
        err("rtt 10ms\nrtt 20ms"),
        "t.tcp:2:1: \"rtt\" is already set on line 1; set it only once"
    );
    assert_eq!(
        err("isn client 1\nisn server 2\nisn client 3"),
        "t.tcp:3:1: \"isn client\" is already set on line 1; set it only once"
    );
}

#[test]
fn error_columns_count_characters_not_bytes() {
    assert_eq!(
        err("client send \"é\" é"),
        "t.tcp:1:17: expected \"&\" or the end of the line, found \"é\""
    );
}

#[test]
fn error_messages_escape_control_characters() {
    assert_eq!(
        err("client send \"a\\\u{1b}\""),
        "t.tcp:1:15: unknown escape \"\\\\u{1b}\" in a string; expected one of \\n \\t \\r \\\\ \\\" \\0 \\xHH"
    );
    assert_eq!(
        err("wait \u{7}"),
        "t.tcp:1:6: expected a duration like 20ms, 1.5s or 300us (units: us, ms, s, min), found \"\\u{7}\""
    );
}

#[test]
fn only_the_first_error_is_reported() {
    let e = parse("x.tcp", "wait 1s\nbogus\nalso bogus\n").err();
    assert_eq!(
        e.as_ref().map(|e| (e.file.as_str(), e.line, e.col)),
        Some(("x.tcp", 2, 1))
    );
}

#[test]
fn error_udp_statements_in_their_place() {
    assert_eq!(
        err("transport sctp"),
        "t.tcp:1:11: expected a transport (tcp or udp), found \"sctp\""
    );
    assert_eq!(
        err("transport udp\nclient connect\n"),
        "t.tcp:2:8: a udp socket has no connection, so no \"connect\"; its calls are: bind, send, recv, close"
    );
    assert_eq!(
        err("transport udp\nserver bind 7\nserver recv 10\n"),
        "t.tcp:3:13: a udp recv takes no count: it returns one whole datagram"
    );
    assert_eq!(
        err("transport udp\nexpect client CLOSED\n"),
        "t.tcp:2:1: \"expect\" checks a TCP state, and a udp socket has none (transport udp)"
    );
    assert_eq!(
        err("transport udp\nwait until client CLOSED\n"),
        "t.tcp:2:1: \"wait until\" waits for a TCP state, and a udp socket has none; use \"wait D\""
    );
    assert_eq!(
        err("transport udp\nclient bnd 7\n"),
        "t.tcp:2:8: unknown call \"bnd\" for the client's udp socket; expected one of: bind, send, recv, close; did you mean \"bind\"?"
    );
    assert_eq!(
        err("server bind 7\n"),
        "t.tcp:1:8: \"bind\" is for udp sockets (put \"transport udp\" before the first action); a TCP server listens: \"server listen PORT\""
    );
    assert_eq!(
        err("client send \"x\"\ntransport udp\n"),
        "t.tcp:2:1: the setting \"transport\" must come before the first action (line 1); move it up"
    );
}

#[test]
fn error_recv_exactly_needs_a_count() {
    assert_eq!(
        err("server recv exactly\n"),
        "t.tcp:1:20: expected a byte count after \"exactly\", like \"recv exactly 4\""
    );
    assert_eq!(
        err("server recv exactly all\n"),
        "t.tcp:1:24: expected a byte count after \"exactly\", like \"recv exactly 4\""
    );
    assert_eq!(
        err("server recv exactly 0\n"),
        "t.tcp:1:21: recv needs room for at least one byte, found \"0\""
    );
}
