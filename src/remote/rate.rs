//! The rate limit: a token bucket per key (a token's name, or the peer's address for requests
//! without a valid token), `rate` requests a second with bursts of `2 * rate` (at least 1). Past it the
//! answer is 429 with `Retry-After`: the whole seconds until one request is allowed again.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Whom a bucket counts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// A valid token, by its name.
    Token(String),
    /// Requests without a valid token, by the peer's IP address (any port).
    Peer(std::net::IpAddr),
}

struct Bucket {
    level: f64,
    at: Instant,
}

/// Token buckets, one per [`Key`].
pub struct RateLimiter {
    rate: f64,
    buckets: HashMap<Key, Bucket>,
}

/// Buckets not touched for this long are full again and are forgotten (so that a flood from
/// many addresses cannot grow the map for ever).
const FORGET: Duration = Duration::from_secs(60);

impl RateLimiter {
    /// `rate` requests per second per key (at least 0.1), bursts of twice that.
    pub fn new(rate: f64) -> RateLimiter {
        RateLimiter {
            rate: rate.max(0.1),
            buckets: HashMap::new(),
        }
    }

    /// Requests per second per key.
    pub fn rate(&self) -> f64 {
        self.rate
    }

    /// Takes one request for `key` at `now`: `Ok`, or `Err(seconds)` to wait before one is
    /// allowed again (whole seconds, at least 1: HTTP's `Retry-After`).
    pub fn take(&mut self, key: Key, now: Instant) -> Result<(), u64> {
        // At least one request (a rate below 0.5 would otherwise allow none).
        let cap = (2.0 * self.rate).max(1.0);
        if self.buckets.len() > 4096 {
            self.buckets
                .retain(|_, b| now.saturating_duration_since(b.at) < FORGET);
        }
        let bucket = self.buckets.entry(key).or_insert(Bucket {
            level: cap,
            at: now,
        });
        bucket.level = (bucket.level
            + now.saturating_duration_since(bucket.at).as_secs_f64() * self.rate)
            .min(cap);
        bucket.at = now;
        if bucket.level >= 1.0 {
            bucket.level -= 1.0;
            Ok(())
        } else {
            Err((((1.0 - bucket.level) / self.rate).ceil() as u64).max(1))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bursts_of_twice_the_rate_then_retry_after_by_hand() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(1.0);
        let a = Key::Token("ana".into());
        // Bursts of 2 at 1 per second: the third waits (1 - 0) / 1 = 1 s.
        assert_eq!(r.take(a.clone(), t0), Ok(()));
        assert_eq!(r.take(a.clone(), t0), Ok(()));
        assert_eq!(r.take(a.clone(), t0), Err(1));
        // Half a second later half a request has come back: still 1 s (rounded up).
        assert_eq!(r.take(a.clone(), t0 + Duration::from_millis(500)), Err(1));
        assert_eq!(r.take(a.clone(), t0 + Duration::from_millis(1000)), Ok(()));
        // At 0.25 per second a burst is one request (not half of one), then 1 / 0.25 = 4 s.
        let mut slow = RateLimiter::new(0.25);
        let p = Key::Peer([10, 0, 0, 1].into());
        assert_eq!(slow.take(p.clone(), t0), Ok(()));
        assert_eq!(slow.take(p.clone(), t0), Err(4));
    }

    #[test]
    fn peers_and_tokens_have_their_own_buckets() {
        let t0 = Instant::now();
        let mut r = RateLimiter::new(1.0);
        let p = Key::Peer([127, 0, 0, 1].into());
        assert!(r.take(p.clone(), t0).is_ok());
        assert!(r.take(p.clone(), t0).is_ok());
        assert!(r.take(p.clone(), t0).is_err());
        assert!(r.take(Key::Peer([127, 0, 0, 2].into()), t0).is_ok());
        assert!(r.take(Key::Token("127.0.0.1".into()), t0).is_ok());
    }
}
