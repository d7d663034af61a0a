//! What ties `otp-client`'s prebuilt code to the spec it was generated from: a digest of the
//! crate's `openapi.yaml`, written into `generated/prebuilt.txt` by `cargo xtask generate` and
//! compared by the build script. Shared by both through `#[path]`, so there is one of it.

/// FNV-1a (64 bits) of `bytes`, as 16 hex digits: it tells an edited file from the one the
/// code was generated from (the file is the crate's own; nobody is racing to collide it).
pub fn spec_digest(bytes: &[u8]) -> String {
    let hash = bytes.iter().fold(0xcbf2_9ce4_8422_2325_u64, |hash, &b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{hash:016x}")
}
