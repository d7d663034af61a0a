//! A real `redis-server`, started for a test on a free port and stopped when dropped. A
//! machine without one fails the test with what to install, never skips it.
#![allow(dead_code)]

use std::process::{Child, Command, Stdio};

pub struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    pub fn start() -> Self {
        Self::start_on(super::free_port())
    }

    /// A `redis-server` on `port` (to bring one back where it was).
    pub fn start_on(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "this test needs a real `redis-server` on PATH ({e}): `cargo xtask test` installs it and runs the tests (Debian: `apt-get install redis-server`)"
                )
            });
        super::wait_until_listening(port, "redis-server", String::new);
        Self { child, port }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/", self.port)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
