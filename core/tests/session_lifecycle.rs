//! Session lifecycle against the in-memory queen: AUTH, ATTACH (ok, denied, throttled,
//! rate-limited, worker tickets), quit, reconnect, credentials.

mod support;

use cohesix_core::role::Role;
use cohesix_core::session::testkit::{role_secret, AuthFailure, Pair, Server, ServerConfig, TOKEN};
use cohesix_core::session::{
    AttachError, Config, Credentials, Session, SessionError, State, TRANSMIT_BUF_LEN,
};
use cohesix_core::ticket::{self, Claims, NormalizeError, TicketKey, MAX_TICKET_LEN};
use support::{advance, attached, drive, events, pair, queen};

/// Spec §8.5 vector 2: worker-heartbeat, subject `worker-1`, secret `worker`.
const WORKER_TICKET: &str = "cohesix-ticket-01010fe80300000000000010270000000000002c010000000000000800776f726b65722d310068e5cf8b01000000000000.f134e615612664333a0639b469b5b820de88df0824e2a0a6a3ebf9a51a582e16";

#[test]
fn auth_is_queued_at_creation_and_exact_on_the_wire() {
    let mut s = queen(Config::new());
    assert_eq!(s.state(), State::Authenticating);
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    let n = s.poll_transmit(0, &mut tx).unwrap();
    // Spec §8.7: 11000000 "AUTH changeme".
    assert_eq!(&tx[..n], b"\x11\x00\x00\x00AUTH changeme");
    // Nothing else before OK AUTH (ATTACH waits; the ticket is not sent to an unverified peer).
    assert_eq!(s.poll_transmit(0, &mut tx), None);
    assert_eq!(s.poll_timeout(), Some(5000));
}

#[test]
fn auth_then_attach_ok() {
    let p = attached(ServerConfig::new());
    assert_eq!(p.client.state(), State::Ready);
    assert_eq!(p.client.role(), Some(Role::Queen));
    assert_eq!(p.server.role(), Some(Role::Queen));
    assert_eq!(p.server.frames_received(), 2);
}

#[test]
fn attach_is_sent_after_ok_auth_in_cohsh_form() {
    let mut s = queen(Config::new());
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    let _ = s.poll_transmit(0, &mut tx).unwrap();
    let mut f = [0u8; 16];
    let n = cohesix_core::frame::encode_frame(b"OK AUTH", &mut f).unwrap();
    assert_eq!(s.handle_input(1, &f[..n]), n);
    assert_eq!(events(&mut s), ["authenticated"]);
    assert_eq!(s.state(), State::Attaching);
    let n = s.poll_transmit(1, &mut tx).unwrap();
    // Spec §8.7: 11000000 "ATTACH queen " (trailing space when there is no ticket).
    assert_eq!(&tx[..n], b"\x11\x00\x00\x00ATTACH queen ");
    let n = cohesix_core::frame::encode_frame(b"OK ATTACH role=queen", &mut [0u8; 32]).unwrap();
    assert_eq!(n, 0x18);
}

#[test]
fn auth_rejected_by_silent_close() {
    let mut server = ServerConfig::new();
    server.token = "other-token";
    let mut p = pair(server);
    assert_eq!(drive(&mut p), ["closed Some(AuthRejected)"]);
    assert_eq!(p.client.state(), State::Closed);
}

#[test]
fn auth_rejected_by_err_auth() {
    let mut server = ServerConfig::new();
    server.token = "other";
    server.auth_failure = AuthFailure::ErrThenClose;
    let mut p = pair(server);
    assert_eq!(drive(&mut p), ["closed Some(AuthRejected)"]);
}

#[test]
fn ok_auth_with_detail_is_ignored_and_text_after_auth_tolerated() {
    let mut server = ServerConfig::new();
    server.greet_ok_auth_detail = true;
    server.preauth_flush_text = true;
    let mut p = pair(server);
    assert_eq!(
        drive(&mut p),
        [
            "stray: OK AUTH detail=present-token",
            "authenticated",
            "stray: [net-console] pre-auth summary reason=auth-flush flushed=0 dropped=0",
            "session ATTACH: OK ATTACH role=queen",
            "attached queen",
        ]
    );
}

#[test]
fn ok_auth_with_detail_does_not_authenticate() {
    let mut s = queen(Config::new());
    let mut tx = [0u8; TRANSMIT_BUF_LEN];
    let _ = s.poll_transmit(0, &mut tx).unwrap();
    let mut f = [0u8; 64];
    let n = cohesix_core::frame::encode_frame(b"OK AUTH detail=present-token", &mut f).unwrap();
    assert_eq!(s.handle_input(1, &f[..n]), n);
    assert_eq!(events(&mut s), ["stray: OK AUTH detail=present-token"]);
    assert_eq!(s.state(), State::Authenticating);
    s.handle_close();
    assert_eq!(events(&mut s), ["closed Some(AuthRejected)"]);
}

fn worker_pair(ticket: &str, server: ServerConfig) -> Pair {
    let creds = Credentials::new(TOKEN, Role::WorkerHeartbeat, Some(ticket)).unwrap();
    Pair::new(
        Session::new(Config::new(), creds).unwrap(),
        Server::new(server),
    )
}

#[test]
fn worker_attach_with_spec_vector_ticket() {
    let mut p = worker_pair(WORKER_TICKET, ServerConfig::new());
    assert_eq!(
        drive(&mut p),
        [
            "authenticated",
            "session ATTACH: OK ATTACH role=worker-heartbeat",
            "attached worker-heartbeat"
        ]
    );
    assert_eq!(p.server.role(), Some(Role::WorkerHeartbeat));
}

#[test]
fn worker_attach_with_minted_ticket() {
    let key = TicketKey::from_secret(role_secret(Role::WorkerGpu));
    let claims = Claims::for_role(Role::WorkerGpu, Some("gpu-1"), 1_700_000_000_000).unwrap();
    let mut out = [0u8; MAX_TICKET_LEN];
    let token = ticket::mint(&claims, &key, &mut out).unwrap();
    let creds = Credentials::new(TOKEN, Role::WorkerGpu, Some(token)).unwrap();
    let mut p = Pair::new(
        Session::new(Config::new(), creds).unwrap(),
        Server::new(ServerConfig::new()),
    );
    assert_eq!(
        drive(&mut p),
        [
            "authenticated",
            "session ATTACH: OK ATTACH role=worker-gpu",
            "attached worker-gpu"
        ]
    );
    assert_eq!(p.client.role(), Some(Role::WorkerGpu));
}

#[test]
fn worker_ticket_normalisation_is_local() {
    assert_eq!(
        Credentials::new(TOKEN, Role::WorkerHeartbeat, None).unwrap_err(),
        SessionError::Ticket(NormalizeError::Missing)
    );
    assert!(matches!(
        Credentials::new(TOKEN, Role::WorkerGpu, Some(WORKER_TICKET)).unwrap_err(),
        SessionError::Ticket(NormalizeError::RoleMismatch { .. })
    ));
    assert!(matches!(
        Credentials::new("bad token\n", Role::Queen, None).unwrap_err(),
        SessionError::Request(_)
    ));
    // Whitespace around a ticket is trimmed by normalisation.
    let padded = format!("  {WORKER_TICKET} ");
    assert!(Credentials::new(TOKEN, Role::WorkerHeartbeat, Some(&padded)).is_ok());
}

#[test]
fn credentials_debug_is_redacted() {
    let c = Credentials::new("s3cr3t-token", Role::WorkerHeartbeat, Some(WORKER_TICKET)).unwrap();
    let d = format!("{c:?}");
    assert!(!d.contains("s3cr3t"), "{d}");
    assert!(!d.contains("cohesix-ticket"), "{d}");
    assert!(d.contains("<redacted>"), "{d}");
    let s = Session::new(Config::new(), c).unwrap();
    let d = format!("{s:?}");
    assert!(!d.contains("s3cr3t") && !d.contains("f134e6"), "{d}");
}

/// A worker ticket signed with the wrong secret: passes local normalisation, fails at the queen.
fn bad_worker_ticket() -> String {
    let key = TicketKey::from_secret(b"not-the-secret");
    let claims =
        Claims::for_role(Role::WorkerHeartbeat, Some("worker-1"), 1_700_000_000_000).unwrap();
    let mut out = [0u8; MAX_TICKET_LEN];
    ticket::mint(&claims, &key, &mut out).unwrap().to_string()
}

/// Attempts one attach at the pair's current time and returns the close error.
fn attempt(p: &mut Pair) -> Option<SessionError> {
    let mut closed = None;
    let mut log = Vec::new();
    p.drive(&mut |e| {
        if let cohesix_core::session::Event::Closed { error } = e {
            closed = error;
        }
        log.push(support::rec(e));
    });
    assert_eq!(
        log.first().map(String::as_str),
        Some("authenticated"),
        "{log:?}"
    );
    closed
}

#[test]
fn attach_denied_throttled_rate_limited_srv_timeline() {
    // Spec §8.6 combined timeline, server clock = pair clock.
    let bad = bad_worker_ticket();
    let mut p = worker_pair(&bad, ServerConfig::new());
    let denied = Some(SessionError::AttachRejected(AttachError::Denied));
    assert_eq!(attempt(&mut p), denied);
    for (t, want) in [
        (100, Some(AttachError::Throttled { delay_ms: 150 })),
        (300, Some(AttachError::Denied)),
        (900, Some(AttachError::RateLimited { delay_ms: 90_000 })),
        (1000, Some(AttachError::RateLimited { delay_ms: 89_900 })),
        (91_000, Some(AttachError::Denied)),
    ] {
        p.reconnect().unwrap();
        p.now = t;
        let got = attempt(&mut p);
        assert_eq!(got, want.map(SessionError::AttachRejected), "at t={t}");
    }
    let e = AttachError::RateLimited { delay_ms: 89_900 };
    assert_eq!(e.delay_ms(), Some(89_900));
    assert_eq!(AttachError::Denied.delay_ms(), None);
}

#[test]
fn attach_errors_in_harness_form() {
    let bad = bad_worker_ticket();
    let mut server = ServerConfig::new();
    server.harness_errors = true;
    let mut p = worker_pair(&bad, server);
    assert_eq!(
        attempt(&mut p),
        Some(SessionError::AttachRejected(AttachError::Denied))
    );
    p.reconnect().unwrap();
    assert_eq!(
        attempt(&mut p),
        Some(SessionError::AttachRejected(AttachError::Throttled {
            delay_ms: 250
        }))
    );
}

#[test]
fn queen_gets_in_while_rate_limited() {
    // Three failures from a worker trip the limiter; a queen without ticket still attaches.
    let bad = bad_worker_ticket();
    let mut p = worker_pair(&bad, ServerConfig::new());
    let mut last = None;
    for t in [0u64, 300, 900] {
        p.now = t;
        last = attempt(&mut p);
        p.reconnect().unwrap();
    }
    assert_eq!(
        last,
        Some(SessionError::AttachRejected(AttachError::RateLimited {
            delay_ms: 90_000
        }))
    );
    let server = core::mem::replace(&mut p.server, Server::new(ServerConfig::new()));
    let mut q = Pair::new(queen(Config::new()), server);
    q.server.reconnect();
    q.now = 2000;
    assert_eq!(
        drive(&mut q),
        [
            "authenticated",
            "session ATTACH: OK ATTACH role=queen",
            "attached queen"
        ]
    );
}

#[test]
fn quit_closes_cleanly_and_reconnect_reauths() {
    let mut p = attached(ServerConfig::new());
    p.client.quit().unwrap();
    p.client.quit().unwrap();
    assert_eq!(drive(&mut p), ["session QUIT: OK QUIT", "closed None"]);
    assert_eq!(p.client.state(), State::Closed);
    assert!(p.server.is_closed());
    assert_eq!(p.server.frames_received(), 3);
    // After quit nothing can be sent on this connection.
    assert_eq!(
        p.client
            .send(&cohesix_core::request::Request::Ping)
            .unwrap_err(),
        SessionError::InvalidState
    );
    p.reconnect().unwrap();
    assert_eq!(p.client.state(), State::Authenticating);
    assert_eq!(
        drive(&mut p),
        [
            "authenticated",
            "session ATTACH: OK ATTACH role=queen",
            "attached queen"
        ]
    );
    assert_eq!(p.server.frames_received(), 5);
}

#[test]
fn reconnect_reuses_worker_ticket() {
    let mut p = worker_pair(WORKER_TICKET, ServerConfig::new());
    assert_eq!(
        drive(&mut p),
        [
            "authenticated",
            "session ATTACH: OK ATTACH role=worker-heartbeat",
            "attached worker-heartbeat"
        ]
    );
    p.client.handle_close();
    assert_eq!(events(&mut p.client), ["closed Some(PeerClosed)"]);
    p.reconnect().unwrap();
    assert_eq!(
        drive(&mut p),
        [
            "authenticated",
            "session ATTACH: OK ATTACH role=worker-heartbeat",
            "attached worker-heartbeat"
        ]
    );
}

#[test]
fn reconnect_refused_while_open_or_events_pending() {
    let mut p = attached(ServerConfig::new());
    assert_eq!(p.client.reconnect(), Err(SessionError::InvalidState));
    p.client.handle_close();
    assert_eq!(p.client.reconnect(), Err(SessionError::InvalidState));
    assert_eq!(events(&mut p.client), ["closed Some(PeerClosed)"]);
    assert_eq!(p.client.reconnect(), Ok(()));
}

#[test]
fn auth_timeout_fires_from_handle_timeout() {
    let mut server = ServerConfig::new();
    server.mute = true;
    let mut p = pair(server);
    assert!(drive(&mut p).is_empty());
    assert_eq!(p.client.poll_timeout(), Some(5000));
    assert!(advance(&mut p, 4999).is_empty());
    assert_eq!(advance(&mut p, 1), ["closed Some(TimedOut)"]);
    assert_eq!(p.client.poll_timeout(), None);
}

#[test]
fn config_is_validated() {
    let creds = || Credentials::new(TOKEN, Role::Queen, None).unwrap();
    for bad in [
        Config::new().with_max_in_flight(0),
        Config::new().with_max_in_flight(9),
        Config::new().with_op_timeout_ms(0),
    ] {
        assert_eq!(
            Session::new(bad, creds()).unwrap_err(),
            SessionError::InvalidConfig
        );
    }
    const C: Config = Config::new().with_max_in_flight(8).with_heartbeat_ms(0);
    assert!(Session::new(C, creds()).is_ok());
    assert_eq!(Config::default(), Config::new());
    assert_eq!(
        Config::new().op_timeout_ms,
        cohesix_generated::retry::TIMEOUT_MS
    );
    assert_eq!(
        Config::new().heartbeat_ms,
        cohesix_generated::heartbeat::INTERVAL_MS
    );
}

#[test]
fn credentials_can_be_replaced_between_connections() {
    let bad = bad_worker_ticket();
    let mut p = worker_pair(&bad, ServerConfig::new());
    let good = Credentials::new(TOKEN, Role::WorkerHeartbeat, Some(WORKER_TICKET)).unwrap();
    assert_eq!(
        p.client.set_credentials(good.clone()),
        Err(SessionError::InvalidState)
    );
    assert_eq!(
        attempt(&mut p),
        Some(SessionError::AttachRejected(AttachError::Denied))
    );
    p.client.set_credentials(good).unwrap();
    p.reconnect().unwrap();
    p.now = 1_000; // past the 250 ms back-off
    assert_eq!(
        drive(&mut p),
        [
            "authenticated",
            "session ATTACH: OK ATTACH role=worker-heartbeat",
            "attached worker-heartbeat"
        ]
    );
    assert_eq!(p.client.requested_role(), Role::WorkerHeartbeat);
}

#[test]
fn session_fits_its_memory_budget() {
    // Embedded budget: the whole session (decoder, credentials, queues) stays under 8 KiB.
    let size = core::mem::size_of::<Session>();
    println!("size_of::<Session>() = {size}");
    assert!(size <= 8 * 1024, "{size}");
}

#[test]
fn attach_refusal_is_delivered_raw_before_the_close() {
    let mut p = worker_pair(&bad_worker_ticket(), ServerConfig::new());
    let id = p
        .client
        .send(&cohesix_core::request::Request::Ping)
        .unwrap();
    let log = drive(&mut p);
    assert_eq!(
        log,
        [
            "authenticated".to_string(),
            "session ATTACH: ERR ATTACH reason=policy detail=denied".to_string(),
            format!("done {id} PING interrupted(sent=false) lines=0"),
            "closed Some(AttachRejected(Denied))".to_string(),
        ]
    );
}
